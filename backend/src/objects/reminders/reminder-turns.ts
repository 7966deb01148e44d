import type { ObjectTurn } from '../catalog/turn.ts';
import type { ClassEntry, ClassRegistry } from '../registry.ts';
import type { ReminderFirer } from './reminders.ts';

export interface ReminderTurnOptions {
  readonly registry: ClassRegistry;
  /** Runs the turn on the object's activation (activating it if needed). */
  readonly dispatch: (entry: ClassEntry, key: string, turn: ObjectTurn) => void;
  readonly newChain: () => string;
  readonly timeoutMs: number;
}

/** Fires a durable reminder as a turn of its object; only called on the owner. */
export class ReminderTurns implements ReminderFirer {
  constructor(private readonly opts: ReminderTurnOptions) {}

  fireReminder(objectId: string, name: string): Promise<void> {
    const slash = objectId.indexOf('/');
    const entry = this.opts.registry.named(objectId.slice(0, slash));
    const key = objectId.slice(slash + 1);
    return new Promise((resolve, reject) => {
      this.opts.dispatch(entry, key, {
        chain: this.opts.newChain(),
        deadline: Date.now() + this.opts.timeoutMs,
        run: (instance) => instance.onReminder?.(name),
        settle: (err) => (err ? reject(err) : resolve()),
      });
    });
  }
}
