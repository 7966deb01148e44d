// Is a nats-server ready? Asked over its HTTP monitoring port: its own name (not another server's on a reused
// port), healthz (JetStream included), and in a cluster its routes and the JetStream meta leader.

const PROBE_TIMEOUT_MS = 1_000;

export interface ReadinessGoal {
  routes: number;
  metaLeader: boolean;
}

type Json = Record<string, unknown>;

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

export interface ProbeTarget {
  readonly name: string;
  readonly monitorUrl: string;
  readonly jetstream: boolean;
  readonly clustered: boolean;
}

/** Undefined once ready; else what is missing. */
export async function notReadyReason(server: ProbeTarget, goal: () => ReadinessGoal): Promise<string | undefined> {
  try {
    const varz = await monitorJson(server, '/varz');
    // Guards against a port race where some other server answers on "our" monitor port.
    if (varz.server_name !== server.name) return `monitor port answered by ${String(varz.server_name)}`;
    const health = await healthz(server);
    if (health !== undefined) return health;
    return server.clustered ? await clusterNotReadyReason(server, goal()) : undefined;
  } catch (err) {
    return `monitor not answering (${err instanceof Error ? err.message : String(err)})`;
  }
}

async function healthz(server: ProbeTarget): Promise<string | undefined> {
  const query = server.jetstream ? '?js-enabled-only=true' : '';
  const res = await fetch(`${server.monitorUrl}/healthz${query}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  const body = await res.text();
  return res.ok ? undefined : `healthz ${res.status}: ${body.trim()}`;
}

async function clusterNotReadyReason(server: ProbeTarget, goal: ReadinessGoal): Promise<string | undefined> {
  const routez = await monitorJson(server, '/routez');
  const routes = Array.isArray(routez.routes) ? routez.routes.filter(isJson) : [];
  // Count distinct peers, not connections: newer servers pool several connections per route.
  const peers = new Set(routes.map((r) => r.remote_id)).size;
  if (peers < goal.routes) return `${peers}/${goal.routes} routes`;
  if (!goal.metaLeader) return undefined;
  const jsz = await monitorJson(server, '/jsz');
  const meta = isJson(jsz.meta_cluster) ? jsz.meta_cluster : {};
  return typeof meta.leader === 'string' && meta.leader !== '' ? undefined : 'no JetStream meta leader yet';
}

async function monitorJson(server: ProbeTarget, path: string): Promise<Json> {
  const res = await fetch(`${server.monitorUrl}${path}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  const body: unknown = await res.json();
  if (!res.ok || !isJson(body)) throw new Error(`${path} -> HTTP ${res.status}`);
  return body;
}
