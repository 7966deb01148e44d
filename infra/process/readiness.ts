// The one `/ready` poller: waits until every node answers `GET /ready` with 200 (placement settled, so the cluster
// takes calls and rooms), or names the node that exited or never got ready, with its last lines.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Child } from './child.ts';

/** A node process to probe: `url` is its HTTP base URL. */
export interface ReadyTarget {
  readonly name: string;
  readonly url: string;
  readonly child: Pick<Child, 'running' | 'exited' | 'describeExit' | 'lastLines'>;
}

/** Generous: every node transpiles the backend on start, and a 3-replica JetStream takes a while to settle. */
export const READY_TIMEOUT_MS = 120_000;
const POLL_MS = 250;
const PROBE_TIMEOUT_MS = 1_000;

export class NotReadyError extends Error {
  override name = 'NotReadyError';
}

/**
 * Polls in rounds until one round finds every node ready. One node's 200 alone is not enough: a node alone in the
 * cluster is ready, and stops being ready for a moment when the next one joins and shards move to it.
 * Rejects naming the first node that exited or is still not ready at the deadline, with its last lines; or on abort.
 */
export async function waitAllReady(
  nodes: readonly ReadyTarget[],
  abort: AbortSignal = new AbortController().signal,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answers = await Promise.all(nodes.map((node) => probe(`${node.url}/ready`, abort)));
    if (answers.every((answer) => answer === 'ready')) return;
    await failIfExited(nodes);
    if (Date.now() > deadline) {
      const i = answers.findIndex((answer) => answer !== 'ready');
      const late = `did not answer GET /ready with 200 within ${timeoutMs / 1000} s (last: ${answers[i]})`;
      throw notReady(nodes[i]!, late);
    }
    await sleep(POLL_MS, undefined, { signal: abort });
  }
}

async function failIfExited(nodes: readonly ReadyTarget[]): Promise<void> {
  const gone = nodes.find((node) => !node.child.running);
  if (!gone) return;
  await gone.child.exited; // with its last lines
  throw notReady(gone, `exited before it was ready (${gone.child.describeExit()})`);
}

async function probe(url: string, abort: AbortSignal): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.any([abort, AbortSignal.timeout(PROBE_TIMEOUT_MS)]) });
    if (res.status === 200) {
      await res.body?.cancel();
      return 'ready';
    }
    const body = (await res.text()).trim().slice(0, 300); // a node says why it is not ready
    return body ? `HTTP ${res.status} ${body}` : `HTTP ${res.status}`;
  } catch (err) {
    abort.throwIfAborted();
    const cause = (err as { cause?: { code?: unknown } }).cause?.code;
    return typeof cause === 'string' ? cause : String(err);
  }
}

function notReady(node: ReadyTarget, what: string): NotReadyError {
  const lines = node.child.lastLines();
  const tail = lines.length ? lines.join('\n') : '(it wrote nothing)';
  return new NotReadyError(`${node.name} (${node.url}) ${what}\n--- last lines of ${node.name} ---\n${tail}`);
}
