// Where the backend is. Served by a node: that node (same origin). Under `vite` dev: a node on :2567, or VITE_SERVER.
// `?nodes=http://a:2567,http://b:2567` lists extra node addresses the client may re-join through after a failover.

const DEV_SERVER = 'http://localhost:2567';

export function serverUrl(): string {
  const fromEnv = import.meta.env.VITE_SERVER as string | undefined;
  if (fromEnv) return fromEnv.replace(/\/$/, '');
  return import.meta.env.DEV ? DEV_SERVER : window.location.origin;
}

/** Every node address this page knows, the serving one first; ResilientRoom tries them in turn. */
export function knownEndpoints(): string[] {
  const extra = new URLSearchParams(window.location.search).get('nodes') ?? '';
  const list = [serverUrl(), ...extra.split(',').map((s) => s.trim().replace(/\/$/, ''))];
  return [...new Set(list.filter((s) => /^https?:\/\//.test(s)))];
}
