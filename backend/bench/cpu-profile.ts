// On-demand CPU profiling of this process: each SIGUSR2 toggles the V8 sampling profiler; stopping writes a
// .cpuprofile (open it in Chrome DevTools or speedscope). Node 20 refuses --cpu-prof in NODE_OPTIONS, and a child
// started by someone else cannot be given it, so a benchmark uses this to profile exactly its measured phase.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** Installs the SIGUSR2 toggle; profiles are written to `${prefix}-<n>.cpuprofile`. */
export function profileOnSignal(prefix: string): void {
  const session = new Session();
  session.connect();
  let running = false;
  let written = 0;
  let busy: Promise<void> = Promise.resolve();
  const toggle = async () => {
    if (!running) {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
      running = true;
      return;
    }
    const { profile } = await session.post('Profiler.stop');
    running = false;
    const file = `${prefix}-${++written}.cpuprofile`;
    await writeFile(file, JSON.stringify(profile));
  };
  process.on('SIGUSR2', () => {
    busy = busy.then(toggle, toggle);
  });
}
