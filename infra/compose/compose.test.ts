// compose.yaml for real, through podman-compose: builds the three images on the local base, writes the secrets into
// a temp folder, brings the stack up under its own project name on free ports (NATS authentication on), runs a
// loadgen smoke through the nodes' published ports, checks Prometheus scrapes the nodes, kills one node container
// with SIGKILL (its rooms come back on the others, and its players and the loadgen's bots re-join), refuses bad settings with one line, and
// leaves nothing behind after `down -v`. As root, from the repository root:
//   node --import tsx --test infra/compose/compose.test.ts        (or: npm run test:compose -w infra)

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { ResilientRoom } from '@resident/shared/net';
import { podman, podmanEnv, podmanUnusable } from '../image/podman.ts';
import { Child, freePorts, nodeScriptArgs, waitAllReady } from '../process/index.ts';
import { buildLocalImages } from './images.ts';
import { writeSecrets } from './secrets.ts';
import { ComposeStack } from './stack.ts';

const NODES = ['node1', 'node2', 'node3'] as const;
const CLUSTER = 'compose';
const PROJECT = `rsdcompose${process.pid}`;
const TAGS = {
  RESIDENT_IMAGE: 'localhost/resident-node:compose-test',
  NATS_IMAGE: 'localhost/resident-nats:compose-test',
  PROMETHEUS_IMAGE: 'localhost/resident-prometheus:compose-test',
};
const LOADGEN_MAIN = fileURLToPath(new URL('../../loadgen/src/main.ts', import.meta.url));
const LOADGEN_DIR = fileURLToPath(new URL('../../loadgen/', import.meta.url));
const SMOKE_USERS = 300;
const FAILOVER_USERS = 150;
/** Arena players that follow their room with the client's re-join code (shared/net). */
const PLAYERS = 6;
const REJOIN_MS = 30_000;
const PROMETHEUS_MS = 90_000;
/** podman's own log lines (logrus): here, that it has no systemd to schedule the healthchecks with. */
const PODMAN_LOG = /^time="[^"]*" level=/;

/** This host's first IPv4 address outside loopback and container bridges. */
function hostAddress(): string | undefined {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (/^(lo|podman|cni|veth|docker|br-)/.test(name)) continue;
    const v4 = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return undefined;
}

function composeUnusable(): string | undefined {
  const version = spawnSync('podman-compose', ['version'], { env: podmanEnv(), encoding: 'utf8' });
  return version.error || version.status !== 0
    ? 'podman-compose is not installed (apt-get install -y podman-compose)'
    : undefined;
}

const HOST = hostAddress();
// The loadgen's bots bind 127.x source addresses on loopback targets, and podman forwards a published port only
// from 127.0.0.1: so the nodes are published on, and reached at, this host's own address.
const skip =
  podmanUnusable() ??
  composeUnusable() ??
  (HOST ? undefined : "no IPv4 address outside loopback: the loadgen's 127.x sources cannot reach published ports");

/** Polls until `check` returns a value (not undefined), failing with what never happened. */
async function until<T>(check: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(500);
  }
}

interface LoadgenResult {
  figures: { name: string; value: number }[];
  timeline: { active: number; inWindow: boolean }[];
  errors: { counters: { errors: number; joins: number }; errorKinds: Record<string, number>; errorSamples: string[] };
}

const figure = (r: LoadgenResult, name: string) => r.figures.find((f) => f.name === name)?.value;

const seconds = (since: number) => Number(((performance.now() - since) / 1000).toFixed(1));

describe('Compose: 3 nats-servers with authentication, 3 nodes, Prometheus (podman-compose)', {
  skip: skip ?? false,
  timeout: 40 * 60_000,
}, () => {
  const measured: Record<string, unknown> = {};
  let work: string;
  let secrets: string;
  let stack: ComposeStack;
  let urls: string[];
  let natsPort: number;
  let prometheusPort: number;
  let loadgenRuns = 0;

  before(async () => {
    const building = performance.now();
    const built = buildLocalImages({ tags: TAGS, stdio: 'ignore' });
    measured.buildSeconds = { total: seconds(building), ...built.seconds };
    measured.natsServer = built.natsServer;
    work = mkdtempSync(join(tmpdir(), 'resident-compose-test-'));
    secrets = join(work, 'secrets');
    writeSecrets({ dir: secrets, cluster: CLUSTER });
    const ports = await freePorts(NODES.length + 2);
    [natsPort, prometheusPort] = ports.slice(NODES.length) as [number, number];
    urls = NODES.map((_, i) => `http://${HOST}:${ports[i]}`);
    stack = new ComposeStack({
      project: PROJECT,
      files: ['compose.yaml', 'compose.loadtest.yaml'],
      env: {
        ...built.images,
        RESIDENT_SECRETS: secrets,
        RESIDENT_CLUSTER: CLUSTER,
        RESIDENT_BIND: HOST!,
        RESIDENT_PUBLIC_HOST: HOST!,
        ...Object.fromEntries(NODES.map((_, i) => [`RESIDENT_NODE${i + 1}_PORT`, String(ports[i])])),
        RESIDENT_NATS_PORT: String(natsPort),
        RESIDENT_PROMETHEUS_PORT: String(prometheusPort),
      },
    });
    const starting = performance.now();
    stack.up();
    await waitAllReady(NODES.map((service, i) => stack.readyTarget(service, urls[i]!)));
    measured.upSeconds = seconds(starting);
    // podman-compose 1.0.3 starts the nodes without waiting for NATS to be healthy: their policy restarts them.
    const restarts = NODES.map((n) => podman(['inspect', '--format', '{{.RestartCount}}', stack.container(n)]).trim());
    measured.nodeRestartsAtStart = restarts.map(Number);
  });

  after(() => {
    console.log(`compose figures: ${JSON.stringify(measured)}`);
    stack?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs the repository's loadgen against the nodes' published ports; resolves with its result.json. */
  function loadgen(args: readonly string[], onLine: (line: string) => void = () => {}): Promise<LoadgenResult> {
    const out = join(work, `loadgen-${++loadgenRuns}`);
    const lines: string[] = [];
    const flags = ['--targets', urls.join(','), '--allow-host', HOST!, '--out', out, '--no-progress', ...args];
    const child = new Child({
      name: 'loadgen',
      command: process.execPath,
      args: nodeScriptArgs(LOADGEN_MAIN, flags),
      cwd: LOADGEN_DIR,
      onLine: (_stream, line) => {
        lines.push(line);
        onLine(line);
      },
    });
    return child.exited.then(() => {
      assert.equal(child.describeExit(), 'exit code 0', lines.slice(-10).join('\n'));
      return JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as LoadgenResult;
    });
  }

  async function prometheus(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const url = `http://127.0.0.1:${prometheusPort}/api/v1/query?query=${encodeURIComponent(query)}`;
    const body = (await (await fetch(url)).json()) as { data: { result: [] } };
    return body.data.result;
  }

  test("NATS refuses anonymous clients, and the metrics role reads the nodes' stats", async () => {
    await assert.rejects(connect({ servers: `nats://127.0.0.1:${natsPort}`, reconnect: false }), /authorization/i);
    const seed = readFileSync(join(secrets, 'metrics.nk'), 'utf8').trim();
    const nc = await connect({
      servers: `nats://127.0.0.1:${natsPort}`,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
    });
    try {
      const sub = nc.subscribe(`rsd.${CLUSTER}.stats.*`, { max: 1, timeout: 10_000 });
      for await (const message of sub) assert.match(message.json<{ node: string }>().node, /^node[123]$/);
    } finally {
      await nc.close();
    }
  });

  test(`a loadgen smoke of ${SMOKE_USERS} bots through the published ports: all joined, no errors`, async () => {
    const result = await loadgen([
      '--scenario',
      'mix',
      '--users',
      String(SMOKE_USERS),
      '--ramp',
      '10s',
      '--hold',
      '15s',
    ]);
    measured.smoke = {
      held: figure(result, 'concurrent_users_held'),
      errors: figure(result, 'errors'),
      rttP99Ms: figure(result, 'rtt_p99_ms'),
    };
    assert.equal(figure(result, 'errors'), 0, result.errors.errorSamples.join('\n'));
    assert.equal(figure(result, 'concurrent_users_held'), SMOKE_USERS);
  });

  test('Prometheus scrapes the 3 nodes', async () => {
    const up = await until(
      async () => {
        const rows = await prometheus('up{job="resident"} == 1');
        return rows.length === NODES.length ? rows : undefined;
      },
      PROMETHEUS_MS,
      'up == 1 for every node',
    );
    assert.deepEqual(
      up.map((row) => row.metric.instance).sort(),
      NODES.map((n) => `${n}:9464`),
    );
    const users = await prometheus('sum(resident_users)');
    assert.equal(users.length, 1, 'resident_users is scraped');
  });

  /** A guest in an arena room who follows it to another node with the client's re-join code (shared/net). */
  /**
   * Player i logs in at node i and lists the nodes from there on, so whichever node is killed, one of its players
   * tries the dead node first when it re-joins (a connect to a killed container's published port hangs here).
   */
  async function player(i: number, name: string, how: 'joinOrCreate' | 'create') {
    const endpoints = urls.map((_, k) => urls[(i + k) % urls.length]!);
    const url = endpoints[0]!;
    const login = await fetch(`${url}/api/guest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    const { token } = (await login.json()) as { token: string };
    const room = await ResilientRoom[how]<{ node?: string }>(endpoints, 'arena', {}, { token, timeoutMs: REJOIN_MS });
    const moved = new Promise<number>((resolve, reject) => {
      room.on('reconnected', () => resolve(performance.now()));
      room.on('failed', (err) => reject(new Error(`${name} could not re-join: ${String(err)}`)));
    });
    moved.catch(() => {}); // awaited only for the players of the killed node
    return { room, roomId: room.roomId, moved };
  }

  async function arenaRooms(url: string): Promise<{ roomId: string; node: string }[]> {
    return (await fetch(`${url}/api/rooms`)).json() as Promise<{ roomId: string; node: string }[]>;
  }

  test('kill -9 of a node container: its rooms come back on the others and its players re-join', async () => {
    let inWindow!: () => void;
    const windowOpen = new Promise<void>((resolve) => {
      inWindow = resolve;
    });
    const load = ['--scenario', 'mix', '--users', String(FAILOVER_USERS), '--ramp', '5s', '--hold', '50s'];
    const background = loadgen(load, (line) => {
      if (line.includes('phase window')) inWindow();
    });
    await Promise.race([windowOpen, background.then(() => assert.fail('the loadgen ended before its window'))]);
    // Half the players join the loadgen's arena room (the only one yet), whose node is then killed; then the other
    // half open rooms of their own.
    const half = Array.from({ length: PLAYERS / 2 }, (_, i) => i);
    const joined = await Promise.all(half.map((i) => player(i, `P${i}`, 'joinOrCreate')));
    const created = await Promise.all(half.map((i) => player(i, `Q${i}`, 'create')));
    const players = [...joined, ...created];
    const hosts = await until(
      async () => {
        const nodes = players.map((p) => p.room.state?.node);
        return nodes.every((n) => n) ? (nodes as string[]) : undefined;
      },
      10_000,
      "every player's first state",
    );
    const victim = hosts[0]!;
    const survivor = urls[(NODES.indexOf(victim as (typeof NODES)[number]) + 1) % NODES.length]!;
    const moving = players.filter((_, i) => hosts[i] === victim);
    const victimArena = (await arenaRooms(survivor)).filter((r) => r.node === victim).map((r) => r.roomId);
    // Rooms are checkpointed every second; a player who joined after the last checkpoint has no seat in the restored
    // room (docs/ARCHITECTURE.md). Wait past the next one, with room for a busy machine.
    await sleep(2500);

    const killed = performance.now();
    podman(['kill', '--signal', 'KILL', stack.container(victim)], { stdio: 'pipe' });
    const movedAt = await Promise.all(moving.map((p) => p.moved));
    for (const p of moving) {
      const node = await until(
        async () => (p.room.state?.node && p.room.state.node !== victim ? p.room.state.node : undefined),
        10_000,
        `room ${p.roomId} names its new node`,
      );
      assert.ok(NODES.includes(node as (typeof NODES)[number]), node);
      assert.equal(p.room.roomId, p.roomId, 'the same room, restored');
    }
    const listed = await arenaRooms(survivor);
    const arenaBack = victimArena.filter((id) => listed.some((r) => r.roomId === id && r.node !== victim));
    const takeovers = await until(
      async () => {
        const value = Number((await prometheus('sum(resident_shard_moves_total{kind="takeover"})'))[0]?.value[1]);
        return value > 0 ? value : undefined;
      },
      PROMETHEUS_MS,
      'Prometheus counts the takeover',
    );
    const result = await background;
    for (const p of players) await p.room.leave();
    const rejoined = figure(result, 'rejoins') ?? 0;
    measured.failover = {
      victim,
      playersMoved: moving.length,
      rejoinSeconds: movedAt.map((t) => Number(((t - killed) / 1000).toFixed(2))),
      victimArenaRooms: victimArena.length,
      victimArenaRoomsBack: arenaBack.length,
      takeoverShardMoves: takeovers,
      loadgen: {
        users: FAILOVER_USERS,
        rejoined,
        heldAtEnd: result.timeline.filter((row) => row.inWindow).at(-1)?.active,
        errorKinds: result.errors.errorKinds,
      },
    };
    assert.deepEqual(arenaBack, victimArena, 'every arena room of the killed node is listed on a survivor');
    // The loadgen's bots on the killed node get back in as players do (arena: the restored room; lounge: a new one).
    assert.equal(figure(result, 'errors'), 0, result.errors.errorSamples.join('\n'));
    assert.ok(rejoined > 0, "the loadgen's arena bots were on the killed node, and re-joined");
    assert.equal(result.timeline.filter((row) => row.inWindow).at(-1)?.active, FAILOVER_USERS, 'every bot back');

    const restarting = performance.now();
    podman(['start', stack.container(victim)], { stdio: 'pipe' });
    await waitAllReady(NODES.map((service, i) => stack.readyTarget(service, urls[i]!)));
    measured.restartSeconds = seconds(restarting);
  });

  test('a malformed or wrong NATS URL or a missing secret stops a node container with one line naming the setting', () => {
    const cases: [string, RegExp][] = [
      [
        'NATS_URL=http://nats1:4222',
        /^resident: NATS_URL must be nats:\/\/host:port \(comma-separated for several\), got "http:\/\/nats1:4222"$/,
      ],
      [
        'NATS_URL=nats://nosuchhost:4222',
        /^resident: cannot reach NATS at nats:\/\/nosuchhost:4222 \(--nats, NATS_URL\): getaddrinfo \w+ nosuchhost$/,
      ],
      [
        'RESIDENT_AUTH_SECRET_FILE=/run/secrets/absent',
        /^resident: RESIDENT_AUTH_SECRET_FILE \/run\/secrets\/absent: cannot read it \(ENOENT\)$/,
      ],
      ['NATS_NKEY=/run/secrets/absent', /^resident: NATS_NKEY \/run\/secrets\/absent: cannot read it \(ENOENT\)$/],
    ];
    for (const [setting, line] of cases) {
      const run = stack.compose(['run', '--rm', '--no-deps', '-T', '-e', setting, 'node1']);
      assert.match(run.stdout, /^exit code: 1$/m, `${setting}: ${run.stdout.slice(-300)}`);
      // The node's own lines; the one naming the uWebSockets.js build it loaded is information, not an error.
      const own = run.stderr
        .split('\n')
        .filter((l) => l !== '' && !PODMAN_LOG.test(l) && !l.startsWith('[uWebSockets.js]'));
      assert.equal(own.length, 1, `${setting}: ${own.join('\n')}`);
      assert.match(own[0]!, line, setting);
    }
  });

  test('SIGTERM drains a node (exit 0), and down -v leaves nothing of the project', () => {
    const stopping = performance.now();
    podman(['stop', '--time', '30', stack.container('node3')], { stdio: 'pipe' });
    measured.drainSeconds = seconds(stopping);
    const exit = podman(['inspect', '--format', '{{.State.ExitCode}}', stack.container('node3')], { stdio: 'pipe' });
    assert.equal(exit.trim(), '0', stack.logs('node3', 5).join('\n'));
    assert.ok(stack.logs('node3', 5).some((l) => l.includes('"msg":"stopped"')));
    const down = performance.now();
    stack.down();
    measured.downSeconds = seconds(down);
    assert.deepEqual(stack.leftovers(), { containers: [], networks: [], volumes: [], pods: [] });
  });
});
