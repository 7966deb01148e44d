// Workers on other machines: they announce themselves on NATS, the coordinator claims as many as it expects, and
// each link is a pair of subjects. A worker that goes silent is declared gone after DEAD_MS.

import { hostname } from 'node:os';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { explainConnectFailure, loadNatsClientAuth, type NatsClientSettings } from '@resident/shared/nats';
import { UsageError } from '../cli/usage-error.ts';
import { runAgent } from '../workers/agent.ts';
import type { Channel, FromWorker, ToWorker, WorkerLink } from '../workers/messages.ts';

const HELLO = 'loadgen.hello';
const inbox = (id: string) => `loadgen.w.${id}.in`;
const outbox = (id: string) => `loadgen.w.${id}.out`;
const HELLO_MS = 1000;
const DEAD_MS = 15_000;

const encode = (msg: unknown) => new TextEncoder().encode(JSON.stringify(msg));
const decode = <T>(data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) as T;

/** With the loadgen role's credentials: it may use `loadgen.>` only. */
async function connectTo(url: string, name: string, settings: NatsClientSettings): Promise<NatsConnection> {
  const auth = loadNatsClientAuth(settings);
  try {
    return await connect({ servers: url, name, timeout: 5000, noAsyncTraces: true, ...auth.options });
  } catch (err) {
    throw new UsageError(explainConnectFailure(err, auth) ?? `cannot reach NATS at ${url}: ${(err as Error).message}`);
  }
}

/** Coordinator side: waits for `expect` workers to say hello, then links to them. */
export async function natsWorkerLinks(
  url: string,
  auth: NatsClientSettings,
  expect: number,
  waitMs: number,
): Promise<WorkerLink[]> {
  const nc = await connectTo(url, 'loadgen-coordinator', auth);
  const found = new Map<string, string>();
  const sub = nc.subscribe(HELLO);
  const timer = setTimeout(() => sub.unsubscribe(), waitMs);
  for await (const m of sub) {
    const hello = decode<Extract<FromWorker, { type: 'hello' }>>(m.data);
    found.set(hello.worker, `${hello.host} pid ${hello.pid}`);
    if (found.size >= expect) break;
  }
  clearTimeout(timer);
  sub.unsubscribe();
  if (found.size < expect) {
    await nc.close();
    throw new UsageError(`only ${found.size} of ${expect} workers said hello on ${url} within ${waitMs / 1000} s`);
  }
  const links = [...found].slice(0, expect).map(([id, where]) => natsLink(nc, id, where));
  let open = links.length;
  return links.map((link) => ({
    ...link,
    close: async () => {
      await link.close();
      if (--open === 0) await nc.close();
    },
  }));
}

function natsLink(nc: NatsConnection, id: string, where: string): WorkerLink {
  const handlers: ((msg: FromWorker) => void)[] = [];
  let gone: ((why: string) => void) | undefined;
  let lastHeard = Date.now();
  let closed = false;
  const sub = nc.subscribe(outbox(id), {
    callback: (_err, m) => {
      lastHeard = Date.now();
      const msg = decode<FromWorker>(m.data);
      for (const h of handlers) h(msg);
      if (msg.type === 'stopped' || msg.type === 'failed') closed = true;
    },
  });
  const watch = setInterval(() => {
    if (!closed && Date.now() - lastHeard > DEAD_MS) {
      closed = true;
      gone?.(`no message over NATS for ${DEAD_MS / 1000} s`);
    }
  }, 1000);
  return {
    id,
    where: `${where} (NATS)`,
    send: (msg: ToWorker) => nc.publish(inbox(id), encode(msg)),
    onMessage: (h) => handlers.push(h),
    onGone: (h) => {
      gone = h;
    },
    close: async () => {
      clearInterval(watch);
      sub.unsubscribe();
    },
  };
}

/** `loadgen worker --nats URL`: announce, run one plan, exit. Bounded: gives up after `waitMs` without a run. */
export async function runNatsWorker(
  url: string,
  auth: NatsClientSettings,
  id: string | undefined,
  waitMs: number,
): Promise<void> {
  const name = id ?? `${hostname().replace(/[^\w-]/g, '-')}-${process.pid}`;
  const nc = await connectTo(url, `loadgen-worker-${name}`, auth);
  const started = { value: false };
  const handlers: ((msg: ToWorker) => void)[] = [];
  nc.subscribe(inbox(name), {
    callback: (_err, m) => {
      const msg = decode<ToWorker>(m.data);
      if (msg.type === 'start') started.value = true;
      for (const h of handlers) h(msg);
    },
  });
  const hello = setInterval(() => {
    if (!started.value) nc.publish(HELLO, encode({ type: 'hello', worker: name, host: hostname(), pid: process.pid }));
  }, HELLO_MS);
  nc.publish(HELLO, encode({ type: 'hello', worker: name, host: hostname(), pid: process.pid }));
  console.log(`loadgen worker ${name}: waiting for a coordinator on ${url}`);
  const channel: Channel = { send: (msg) => nc.publish(outbox(name), encode(msg)), onMessage: (h) => handlers.push(h) };
  const giveUp = setTimeout(() => {
    if (started.value) return;
    console.error(`loadgen worker ${name}: no run within ${waitMs / 1000} s, exiting`);
    for (const h of handlers) h({ type: 'stop' });
  }, waitMs);
  await runAgent(channel, name);
  clearInterval(hello);
  clearTimeout(giveUp);
  await nc.flush();
  await nc.close();
}
