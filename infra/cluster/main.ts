// `npm run cluster -- --nodes 3 --nats 3`: a NATS cluster with JetStream and N backend nodes on this machine,
// every process's output prefixed with its name; Ctrl-C stops everything in order.

import { type ClusterOptions, parseCli, USAGE, UsageError } from './cli.ts';
import { LocalCluster, printerFor } from './cluster.ts';
import type { Printer } from './output.ts';
import { renderSummary } from './summary.ts';

/** Like a shell, for a run ended by a second Ctrl-C. */
const KILLED_EXIT_CODE = 130;

function readOptions(argv: readonly string[]): ClusterOptions {
  try {
    const command = parseCli(argv);
    if (!command.help) return command.options;
    console.log(USAGE);
    process.exit(0);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`cluster: ${err.message} (see --help)`);
    process.exit(2);
  }
}

/** First signal: stop in order. Any further one: kill everything now. */
function onSignals(stop: (signal: string) => void, kill: (signal: string) => void): void {
  let received = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (received) return kill(signal);
      received = true;
      stop(signal);
    });
  }
}

async function finish(cluster: LocalCluster, printer: Printer, failed: boolean): Promise<never> {
  const clean = await cluster.stop();
  if (cluster.killed) return new Promise(() => {}); // the kill exits
  if (cluster.spawned) printer.info(clean ? 'stopped' : 'stopped, but not cleanly (see the messages above)');
  process.exit(failed || !clean ? 1 : 0);
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const printer = printerFor(options);
  // A closed terminal (SIGHUP) must not crash us mid-stop with a write error.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const cluster = new LocalCluster(options, printer);
  onSignals(
    (signal) => {
      printer.info(`${signal}: stopping everything (Ctrl-C again to kill it all at once)`);
      void finish(cluster, printer, false);
    },
    (signal) => {
      printer.alert(`${signal} again: killing everything`);
      void cluster.kill().then(() => process.exit(KILLED_EXIT_CODE));
    },
  );
  try {
    await cluster.start();
  } catch (err) {
    if (cluster.stopping) return; // a signal came first; its stop reports
    printer.alert(err instanceof Error ? err.message : String(err));
    await finish(cluster, printer, true);
  }
  const { servers, supervisorPid, nodes, seedFiles } = cluster;
  printer.info(renderSummary({ options, servers, supervisorPid, nodes, seedFiles }));
  await cluster.allExited();
  if (cluster.stopping) return;
  printer.alert('every process of the cluster has exited: nothing is left to run');
  process.exit(1);
}

await main();
