// `npm run loadgen -- …`: one machine (forked workers), a coordinator of remote workers, or a remote worker.
// Exit codes: 0 measured (even with errors: a benchmark measures), 1 could not measure, 2 bad input, 130 Ctrl-C
// (after writing the partial report).

import { type Command, parseCli, USAGE } from './cli/args.ts';
import { UsageError } from './cli/usage-error.ts';
import { natsWorkerLinks, runNatsWorker } from './coordinator/nats-links.ts';
import { runSession } from './coordinator/session.ts';

const command = `npm run loadgen -- ${process.argv.slice(2).join(' ')}`.trim();

async function main(cmd: Command): Promise<number> {
  if (cmd.mode === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (cmd.mode === 'worker') {
    await runNatsWorker(cmd.nats, cmd.natsAuth, cmd.id, cmd.waitMs);
    return 0;
  }
  // First Ctrl-C: stop the run and still write the (partial) report. Second: leave at once.
  const abort = new AbortController();
  process.on('SIGINT', () => {
    if (abort.signal.aborted) process.exit(130);
    console.error('\nstopping: ending the run and writing the partial report (Ctrl-C again to quit at once)');
    abort.abort();
  });
  process.on('SIGTERM', () => abort.abort());
  const outcome = await runSession(cmd.options, {
    command,
    signal: abort.signal,
    ...(cmd.mode === 'coordinator'
      ? { links: () => natsWorkerLinks(cmd.nats, cmd.natsAuth, cmd.expect, cmd.waitMs) }
      : {}),
  });
  console.log(`\nresult: ${outcome.files.json}\nreport: ${outcome.files.html}`);
  return outcome.result.partial ? 130 : 0;
}

let cmd: Command;
try {
  cmd = parseCli(process.argv.slice(2));
} catch (err) {
  console.error(`loadgen: ${(err as Error).message}`);
  process.exit(2);
}
main(cmd).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`loadgen: ${err instanceof UsageError ? err.message : ((err as Error).stack ?? String(err))}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
