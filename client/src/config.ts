// Where the backend is. Served by a node: that node (same origin). Under `vite` dev: a node on :2567, or VITE_SERVER.
// The other nodes of the cluster come from GET /api/nodes, so the page can re-join through one of them when the
// node that served it goes away.
import type { NodeSummary } from '@resident/shared/game';

const DEV_SERVER = 'http://localhost:2567';
const NODES_REFRESH_MS = 10_000;

let learned: string[] = [];

export function serverUrl(): string {
  const fromEnv = import.meta.env.VITE_SERVER as string | undefined;
  if (fromEnv) return fromEnv.replace(/\/$/, '');
  return import.meta.env.DEV ? DEV_SERVER : window.location.origin;
}

/** Every node address this page knows, the serving one first; ResilientRoom tries them in turn. */
export function knownEndpoints(): string[] {
  return [...new Set([serverUrl(), ...learned])];
}

/** Keeps the list of the cluster's nodes fresh (any known node answers for the whole cluster). */
export function learnNodes(): void {
  const refresh = async () => {
    for (const endpoint of knownEndpoints()) {
      try {
        const res = await fetch(`${endpoint}/api/nodes`, { signal: AbortSignal.timeout(3000) });
        if (!res.ok) continue;
        const scheme = new URL(serverUrl()).protocol;
        learned = ((await res.json()) as NodeSummary[]).map((n) => `${scheme}//${n.address}`);
        return;
      } catch {
        // that node is gone: ask the next one
      }
    }
  };
  void refresh();
  setInterval(() => void refresh(), NODES_REFRESH_MS);
}
