// The heartbeat thread's entry point (started by beat-thread.ts): its own NATS connection and a BeatLoop, so the
// node's heartbeats neither wait for its event loop nor queue behind its calls and state writes on one socket.

import { parentPort, workerData } from 'node:worker_threads';
import { loadNatsClientAuth, nodeConnectOptions } from '@resident/shared/nats';
import { connectNats } from '../transport/connect.ts';
import { BeatLoop } from './beat-loop.ts';
import type { BeatWorkerData, FromBeatWorker, ToBeatWorker } from './beat-thread.ts';
import { MemberEntryCodec } from './member-entry.ts';

const data = workerData as BeatWorkerData;
const port = parentPort!;
const post = (message: FromBeatWorker) => port.postMessage(message);

try {
  const { connection: c } = data;
  const auth = c.auth ? loadNatsClientAuth(c.auth) : undefined;
  const nc = await connectNats([...c.servers], `${data.info.id}-beats`, nodeConnectOptions(data.cluster, auth));
  const loop = new BeatLoop({
    nc,
    cluster: data.cluster,
    codec: new MemberEntryCodec(data.cluster, data.key),
    info: data.info,
    heartbeatMs: data.heartbeatMs,
    board: data.board,
    stallMs: data.stallMs,
  });
  port.on('message', (message: ToBeatWorker) => {
    if (message.type === 'info') return loop.update(message.info);
    loop.stop();
    void nc.close().finally(() => port.close());
  });
  loop.start();
  post({ type: 'started' });
} catch (err) {
  post({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
}
