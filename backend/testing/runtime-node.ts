// A runtime node as its own process, for tests that kill -9, pause or drain it. Hosts the test fixture classes.

import pino from 'pino';
import { ObjectRuntime } from '../src/objects/index.ts';
import { connectNats } from '../src/objects/internal.ts';
import { ALL } from './fixtures.ts';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`runtime-node needs ${name}`);
  return v;
};

const servers = env('NATS_URLS').split(',');
const nc = await connectNats(servers, env('RESIDENT_NODE_ID'));
const runtime = await ObjectRuntime.start({
  classes: ALL,
  nodeId: env('RESIDENT_NODE_ID'),
  nats: {
    connection: nc,
    cluster: env('RESIDENT_CLUSTER'),
    replicas: Number(process.env.RESIDENT_REPLICAS ?? 1),
    membershipKey: new Uint8Array(Buffer.from(env('RESIDENT_MEMBERSHIP_KEY'), 'base64')),
    heartbeats: { servers }, // as the backend node sends them: from a thread of their own
  },
  log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' }),
  ...JSON.parse(process.env.RESIDENT_OPTIONS ?? '{}'),
});
// Lets tests read this process's metrics without an HTTP server.
nc.subscribe(`test.${env('RESIDENT_CLUSTER')}.${runtime.nodeId}.metrics`, {
  callback: (_err, msg) => {
    void runtime.metricsRegistry.metrics().then((text) => msg.respond(text));
  },
});
// Plain request/reply responder, the baseline the object runtime's calls are compared with.
const echo = process.env.RESIDENT_ECHO_SUBJECT;
if (echo) {
  nc.subscribe(echo, {
    callback: (_err, msg) => {
      msg.respond(msg.data);
    },
  });
}
await nc.flush();
process.stdout.write('READY\n');

process.on('SIGTERM', async () => {
  await runtime.stop({ drain: true });
  await nc.drain();
  process.exit(0);
});
