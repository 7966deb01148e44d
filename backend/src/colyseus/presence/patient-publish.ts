import { setTimeout as sleep } from 'node:timers/promises';
import { errors, type NatsConnection } from '@nats-io/transport-node';

/**
 * Colyseus's IPC request channels: a room's (`$<roomId>`) and a process's (`p:<processId>`). Colyseus lists a new room
 * before it subscribes to the room's channel, so a seat request from another node can get there first; on Redis as on
 * plain NATS it is then lost, and the joiner waits out Colyseus's 2 s `ipc_timeout`.
 */
export const COLYSEUS_REQUEST_TOPICS = (topic: string): boolean => topic.startsWith('$') || topic.startsWith('p:');

/** Colyseus's IPC reply channels: published to only by whoever got the request sent after subscribing. */
export const COLYSEUS_REPLY_TOPICS = (topic: string): boolean => topic.startsWith('ipc:');

/** Waits before each new attempt while nobody listens: 126 ms in all, then the message is dropped, as Redis drops it. */
const RETRY_MS = [2, 4, 8, 16, 32, 64];
/**
 * The server answers "no responders" within a round trip; subscribers never answer, so the request's own reply
 * subscription is given up after this.
 */
const ANSWER_MS = 500;

/**
 * Publishes with a reply subject, which makes nats-server answer "no responders" when the subject has no subscriber
 * at all; the message is then sent again a few ms later. A subject that has a subscriber gets it once, as a plain
 * publish would. Nothing received is trusted: any other answer only ends the wait.
 */
export class PatientPublisher {
  private stopped = false;

  constructor(private readonly nc: NatsConnection) {}

  publish(subject: string, payload: Uint8Array): void {
    void this.deliver(subject, payload);
  }

  stop(): void {
    this.stopped = true;
  }

  private async deliver(subject: string, payload: Uint8Array): Promise<void> {
    for (const wait of [...RETRY_MS, undefined]) {
      try {
        await this.nc.request(subject, payload, { timeout: ANSWER_MS });
        return;
      } catch (err) {
        // A closed connection, a timeout (somebody got it) or any other answer: nothing more to do.
        if (wait === undefined || !noResponders(err)) return;
      }
      await sleep(wait);
      if (this.stopped || this.nc.isClosed()) return;
    }
  }
}

function noResponders(err: unknown): boolean {
  return err instanceof errors.RequestError && err.isNoResponders();
}
