// Entry of a forked worker process: the agent over the fork's IPC channel. It ignores Ctrl-C (the parent stops it
// in order) and exits when the parent goes away.

import { runAgent } from './agent.ts';
import type { Channel, FromWorker, ToWorker } from './messages.ts';

process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));

/** A send that fails because the parent just went away (EPIPE) is dropped: 'disconnect' ends this process. */
const ignoreGone = () => {};

const channel: Channel = {
  send: (msg: FromWorker) => {
    if (process.connected) process.send?.(msg, undefined, {}, ignoreGone);
  },
  onMessage: (handler) => process.on('message', (msg) => handler(msg as ToWorker)),
};

await runAgent(channel, process.env.LOADGEN_WORKER_ID ?? `w${process.pid}`);
// Let the last messages leave before the channel closes.
setTimeout(() => process.exit(0), 200);
