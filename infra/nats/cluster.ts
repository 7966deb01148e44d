// A set of nats-servers sharing one temp dir: one server, or a JetStream cluster of them, started on free ports
// (retried on a lost port race) with the security asked for, and closed together (their data removed).

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLocalCredentials,
  findNatsServer,
  type LocalCredentials,
  type ServerTls,
  type ServerUser,
} from '@resident/shared/nats';
import { forgetDir, killAllOnSignals, removeOnExit } from '../process/registry.ts';
import { type LayoutSpec, planLayouts, renderConfig } from './config.ts';
import type { ReadinessGoal } from './probes.ts';
import { NatsServer, type NatsServerHandle, NatsStartupError } from './server.ts';

const START_ATTEMPTS = 3;

export interface NatsCluster {
  readonly servers: NatsServerHandle[];
  readonly urls: string[];
  /** With `auth`: the generated nkey seed file of each role, and the route password. */
  readonly credentials: LocalCredentials | undefined;
  close(): Promise<void>;
}

/** Opt-in security: without it the servers take anonymous clients, as most tests expect. */
export interface NatsSecurityOptions {
  /**
   * Every client must authenticate: with a role's nkey (one per role, generated in the servers' temp dir) or as one of
   * `users`; routes between the servers need a password.
   */
  readonly auth?: { readonly cluster: string; readonly users?: readonly ServerUser[] };
  /** Clients connect over TLS with this certificate. */
  readonly tls?: ServerTls;
}

/** How JetStream stores: `syncAlways` fsyncs every write before its ack (default: on JetStream's interval). */
export interface NatsStoreOptions {
  readonly syncAlways?: boolean;
}

export async function startNats(
  opts: { jetstream?: boolean } & NatsSecurityOptions & NatsStoreOptions = {},
): Promise<NatsCluster> {
  return launch({ ...opts, size: 1, jetstream: opts.jetstream ?? true, clustered: false });
}

export async function startNatsCluster(
  opts: { size?: number } & NatsSecurityOptions & NatsStoreOptions = {},
): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`cluster size must be an integer >= 2, got ${size}`);
  return launch({ ...opts, size, jetstream: true, clustered: true });
}

class Cluster implements NatsCluster {
  readonly servers: NatsServer[] = [];
  readonly credentials: LocalCredentials | undefined;
  readonly #root: string;
  #closing: Promise<void> | undefined;

  constructor(root: string, credentials: LocalCredentials | undefined) {
    this.#root = root;
    this.credentials = credentials;
  }

  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  async boot(): Promise<void> {
    // Spawn everyone before waiting: a JetStream cluster only elects a meta leader once a quorum is up.
    for (const server of this.servers) server.spawn();
    await Promise.all(this.servers.map((s) => s.waitReady()));
  }

  readonly goal = (server: NatsServer): ReadinessGoal => {
    const up = this.servers.filter((s) => s !== server && s.running).length;
    // A meta leader can only exist while a majority runs; without that, waiting for one would just time out.
    return { routes: up, metaLeader: (up + 1) * 2 > this.servers.length };
  };

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill()));
    await rm(this.#root, { recursive: true, force: true });
    forgetDir(this.#root);
  }
}

interface LaunchSpec extends NatsSecurityOptions, LayoutSpec {}

async function launch(spec: LaunchSpec): Promise<NatsCluster> {
  const bin = findNatsServer();
  // Nothing may outlive the process that started the servers, even when it is interrupted mid-setup.
  killAllOnSignals();
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const cluster = await createCluster(bin, spec);
    try {
      await cluster.boot();
      return cluster;
    } catch (err) {
      await cluster.close();
      lastError = err;
      // Only a lost race for a port is worth retrying; anything else would fail the same way again.
      if (!(err instanceof NatsStartupError && err.portInUse)) break;
    }
  }
  throw lastError;
}

async function createCluster(bin: string, spec: LaunchSpec): Promise<Cluster> {
  const root = await mkdtemp(join(tmpdir(), 'resident-nats-'));
  removeOnExit(root);
  const credentials = spec.auth ? createLocalCredentials(root, spec.auth.cluster) : undefined;
  const cluster = new Cluster(root, credentials);
  const layouts = await planLayouts(root, spec);
  for (const layout of layouts) {
    await mkdir(layout.dir);
    const server = new NatsServer(layout, bin, cluster.goal);
    const security = { credentials, users: spec.auth?.users ?? [], tls: spec.tls };
    await writeFile(server.configFile, renderConfig(layout, security));
    cluster.servers.push(server);
  }
  return cluster;
}
