// Explains each IPC request that got no answer (Colyseus's `ipc_timeout`), from the nodes' traces (ipc-trace.ts).
import type { IpcEvent } from './ipc-trace.ts';

export interface IpcVerdicts {
  /** Unanswered requests by cause. */
  readonly causes: Map<string, number>;
  /** One example line per cause. */
  readonly samples: Map<string, string>;
}

type Unanswered = Extract<IpcEvent, { kind: 'unanswered' }>;

/** Only requests sent at or after `since` (epoch ms) count. */
export function explainUnanswered(events: readonly IpcEvent[], since: number): IpcVerdicts {
  const listening = firstAt(events, 'listening');
  const listed = firstAt(events, 'listed');
  const received = new Map<string, number>();
  for (const e of events) if (e.kind === 'received') received.set(e.requestId, e.at);
  const causes = new Map<string, number>();
  const samples = new Map<string, string>();
  for (const e of events) {
    if (e.kind !== 'unanswered' || e.sentAt < since) continue;
    const [cause, sample] = verdict(e, received, listening, listed);
    causes.set(cause, (causes.get(cause) ?? 0) + 1);
    if (!samples.has(cause)) samples.set(cause, sample);
  }
  return { causes, samples };
}

function verdict(
  e: Unanswered,
  received: ReadonlyMap<string, number>,
  listening: ReadonlyMap<string, number>,
  listed: ReadonlyMap<string, number>,
): [string, string] {
  const what = `${e.method} to ${e.target}`;
  if (!e.target.startsWith('$')) return ['request to a process channel unanswered', what];
  const roomId = e.target.slice(1);
  const got = received.get(e.requestId);
  if (got !== undefined)
    return ['received by the room, no answer back in time', `${what}: received ${got - e.sentAt} ms after sending`];
  const heard = listening.get(roomId);
  const at = `listed at +${(listed.get(roomId) ?? Number.NaN) - e.sentAt} ms, listening at +${(heard ?? Number.NaN) - e.sentAt} ms, relative to the request`;
  if (heard === undefined) return ['sent to a room that never subscribed its channel', `${what}: ${at}`];
  if (e.sentAt <= heard) return ['sent before the room subscribed its IPC channel (listed first)', `${what}: ${at}`];
  return ['lost: sent after the room subscribed, never received', `${what}: ${at}`];
}

function firstAt(events: readonly IpcEvent[], kind: 'listed' | 'listening'): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) if (e.kind === kind && !out.has(e.roomId)) out.set(e.roomId, e.at);
  return out;
}

/** How long after its creating node listed a room the other nodes' replicas had it, ms; empty without a replica. */
export function replicaLags(events: readonly IpcEvent[], since: number): number[] {
  const listed = firstAt(events, 'listed');
  const lags: number[] = [];
  for (const e of events) {
    if (e.kind !== 'seen') continue;
    const at = listed.get(e.roomId);
    if (at !== undefined && at >= since) lags.push(e.at - at);
  }
  return lags;
}
