// A test process that starts a nats-server, a redis-server and a supervised Node child, prints their pids and
// temp dirs, then waits to be signalled or exits at once (argv[2] = "exit") without stopping any of them.
import { Child, nodeScriptArgs, startNats, startRedis } from '../index.ts';

const nats = await startNats();
const redis = await startRedis();
const child = new Child({
  name: 'sleeper',
  command: process.execPath,
  args: nodeScriptArgs(new URL('./sleeper.ts', import.meta.url).pathname),
  onLine: () => {},
});
const pids = [nats.servers[0]!.pid, redis.pid, child.pid];
process.stdout.write(`${JSON.stringify({ pids, dir: nats.servers[0]!.storeDir })}\n`);
if (process.argv[2] === 'exit') process.exit(0);
setInterval(() => {}, 1_000);
