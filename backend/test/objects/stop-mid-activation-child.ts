// Run by stop-mid-activation.test.ts: a runtime stopped while an object is still loading its state must let the
// process exit on its own; the object's onActivate sets a repeating timer, as PresenceShard does.
import { z } from 'zod';
import { ObjectRuntime, Resident } from '../../src/objects/index.ts';
import { MemoryStateStore } from '../../src/objects/internal.ts';
import { quietLog } from '../../testing/support.ts';

let release: () => void = () => {};
const loading = new Promise<void>((resolve) => (release = resolve));

/** Loads nothing until released: the stop lands while the activation waits for its state. */
class GatedStore extends MemoryStateStore {
  override async load(id: string) {
    await loading;
    return super.load(id);
  }
}

class Sweeper extends Resident<{ n: number }> {
  static readonly expose = { poke: z.tuple([]) };
  static initial() {
    return { n: 0 };
  }
  override onActivate() {
    this.setTimer(() => {}, 1000, { repeat: true });
  }
  poke() {
    return this.state.n;
  }
}

const mode = process.argv[2]; // 'loading': stop during the state load; 'activating': during an async onActivate
const rt = await ObjectRuntime.start({ classes: [Sweeper], store: new GatedStore(), log: quietLog() });
void rt
  .get(Sweeper, 'a')
  .poke()
  .catch(() => {});
if (mode === 'loading') {
  await new Promise((r) => setTimeout(r, 50));
  await rt.stop({ drain: false });
  release();
} else {
  release();
  await rt.stop({ drain: false });
}
console.log('stopped');
