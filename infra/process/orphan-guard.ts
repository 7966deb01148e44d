// Preloaded (`--import`, see nodeScriptArgs in child.ts) into every node a parent supervises (the cluster runner,
// test harnesses, benchmarks). The parent holds our stdin open; when it ends, the parent died without stopping us (kill -9, a crash), so stop the way
// SIGTERM would instead of lingering on the port. The node handles SIGTERM itself (drain, then exit).

const EXIT_ANYWAY_MS = 10_000;

let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    signalled = true;
    // A listener suppresses the default action: before the node installs its own handlers (it does so only once
    // started), re-raise so the signal still ends a starting node.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

process.stdin.on('end', () => {
  if (signalled) return; // a second signal would make the node skip its drain
  process.kill(process.pid, 'SIGTERM');
  // With NATS gone too, a drain can wait forever; an orphan must not.
  setTimeout(() => process.exit(1), EXIT_ANYWAY_MS).unref();
});
process.stdin.on('error', () => {});
process.stdin.resume();
