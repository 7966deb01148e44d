// Traces Colyseus's IPC over presence in this process, into a JSON-lines file the benchmark reads: when each room
// was listed and when its IPC channel was subscribed (on the room's node), and every request that got no answer
// (on the asking node), and which requests each room received, so an `ipc_timeout` can be told apart: asked before
// the room listened, lost after, or received and not answered in time. Buffered, written every 200 ms.
import { appendFileSync } from 'node:fs';
import { matchMaker, type Presence } from '@colyseus/core';

export type IpcEvent =
  | { kind: 'listed'; roomId: string; at: number }
  /** Another node's listing reached this node's view (NatsDriver's replica, through its watch). */
  | { kind: 'seen'; roomId: string; node: string; at: number }
  | { kind: 'listening'; roomId: string; at: number }
  | { kind: 'received'; requestId: string; roomId: string; at: number }
  | { kind: 'unanswered'; requestId: string; target: string; method: string; sentAt: number; at: number };

interface Request {
  /** The channel the request went to: `$<roomId>` for a room, `p:<processId>` for a process. */
  target: string;
  method: string;
  sentAt: number;
  answered: boolean;
}

let sink: ((event: IpcEvent) => void) | undefined;

/** Adds an event to the trace, if one is installed. */
export function record(event: IpcEvent): void {
  sink?.(event);
}

/** Installs the trace on this process's matchmaker presence and driver. */
export function traceIpc(file: string): void {
  let buffer = '';
  sink = (event) => {
    buffer += `${JSON.stringify(event)}\n`;
  };
  setInterval(() => {
    if (buffer === '') return;
    appendFileSync(file, buffer);
    buffer = '';
  }, 200).unref();
  traceListings(record);
  traceRequests(matchMaker.presence, record);
}

function traceListings(write: (event: IpcEvent) => void): void {
  const driver = matchMaker.driver;
  for (const name of ['insert', 'persist'] as const) {
    const original = driver[name]?.bind(driver);
    if (!original) continue;
    driver[name] = async (room, ...rest: unknown[]) => {
      const result = await (original as (...args: unknown[]) => Promise<boolean>)(room, ...rest);
      if (name === 'insert' || rest[0] === true) write({ kind: 'listed', roomId: room.roomId, at: Date.now() });
      return result;
    };
  }
}

function traceRequests(presence: Presence, write: (event: IpcEvent) => void): void {
  const requests = new Map<string, Request>();
  const { subscribe, unsubscribe, publish } = presence;
  presence.subscribe = async (topic: string, callback: (...args: unknown[]) => void) => {
    let listener = callback;
    if (topic.startsWith('$')) {
      const roomId = topic.slice(1);
      listener = (...args: unknown[]) => {
        const message: unknown[] = Array.isArray(args[0]) ? args[0] : [];
        write({ kind: 'received', requestId: String(message[1]), roomId, at: Date.now() });
        callback(...args);
      };
    } else if (topic.startsWith('ipc:')) {
      const request: Request = { target: '', method: '', sentAt: 0, answered: false };
      requests.set(topic.slice(4), request);
      listener = (...args: unknown[]) => {
        request.answered = true;
        callback(...args);
      };
    }
    const out = await subscribe.call(presence, topic, listener);
    if (topic.startsWith('$')) write({ kind: 'listening', roomId: topic.slice(1), at: Date.now() });
    return out;
  };
  presence.publish = (topic: string, data: unknown) => {
    // An IPC request is [method, requestId, args].
    const message: unknown[] = Array.isArray(data) ? data : [];
    const request = typeof message[1] === 'string' ? requests.get(message[1]) : undefined;
    if (request) Object.assign(request, { target: topic, method: String(message[0]), sentAt: Date.now() });
    return publish.call(presence, topic, data);
  };
  presence.unsubscribe = (topic: string, callback?: (...args: unknown[]) => void) => {
    const request = topic.startsWith('ipc:') ? requests.get(topic.slice(4)) : undefined;
    if (request) {
      requests.delete(topic.slice(4));
      if (!request.answered) write({ kind: 'unanswered', requestId: topic.slice(4), ...request, at: Date.now() });
    }
    return unsubscribe.call(presence, topic, callback);
  };
}
