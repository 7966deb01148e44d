// Run by stop-mid-activation.test.ts: a runtime is stopped before, while or after an object activates, and the
// process must exit on its own; the object's onActivate sets a repeating timer, as PresenceShard does. It prints
// what happened, so the test can tell which case it exercised.
import { z } from 'zod';
import { ObjectRuntime, Resident } from '../../src/objects/index.ts';
import { MemoryStateStore } from '../../src/objects/internal.ts';
import { quietLog, signal } from '../../testing/support.ts';

const mode = process.argv[2] as 'draining' | 'loading' | 'activating';
const loadStarted = signal();
const loadGate = signal();
const activateStarted = signal();
const activateGate = signal();

/** Loads nothing until released: the stop can land while the activation waits for its state. */
class GatedStore extends MemoryStateStore {
  override async load(id: string) {
    loadStarted.fire();
    await loadGate.fired;
    return super.load(id);
  }
}

class Sweeper extends Resident<{ n: number }> {
  static readonly expose = { poke: z.tuple([]) };
  static initial() {
    return { n: 0 };
  }
  override async onActivate() {
    console.log('onActivate');
    activateStarted.fire();
    if (mode === 'activating') await activateGate.fired; // the stop lands here
    this.setTimer(() => {}, 1000, { repeat: true });
  }
  poke() {
    return this.state.n;
  }
}

const rt = await ObjectRuntime.start({ classes: [Sweeper], store: new GatedStore(), log: quietLog() });
const poke = (report = (what: string) => console.log(what)) =>
  rt
    .get(Sweeper, 'a')
    .poke()
    .then(() => 'answered')
    .catch((err: { code?: string }) => `refused ${err.code}`)
    .then(report);

if (mode === 'draining') {
  // Calls go on while the runtime drains: those that land after its activations closed must not make new ones.
  loadGate.fire();
  let stopped = false;
  const stopping = rt.stop().then(() => (stopped = true));
  const seen = new Set<string>();
  while (!stopped) {
    void poke((what) => seen.add(what));
    await new Promise((r) => setTimeout(r, 10));
  }
  console.log([...seen].join('\n'));
  await stopping;
} else if (mode === 'loading') {
  void poke();
  await loadStarted.fired;
  const stopped = rt.stop({ drain: false }); // drops the activation at once, while its load waits
  loadGate.fire();
  await stopped;
} else {
  void poke();
  loadGate.fire();
  await activateStarted.fired;
  await rt.stop({ drain: false });
  activateGate.fire();
}
console.log('stopped');
