// `npm run loadgen:scale`: for each node count (default 1, 2, 4, 8) a fresh local cluster, each node optionally its
// own "machine" (a CPU quota and an open-file budget), and a search for the most users it holds within the latency
// bound; then the curve against node count with the ideal linear line (scale.json, scale.html, scale.svg).

import { join, resolve } from 'node:path';
import { killAllOnSignals } from '@resident/infra/process';
import { UsageError } from '../cli/usage-error.ts';
import { parseScaleArgs, USAGE } from './args.ts';
import { type CountResult, findCapacity } from './capacity.ts';
import { designNotes, writeScale } from './report.ts';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const opts = parseScaleArgs(argv);
  // Ctrl-C: the nodes die with us and their cgroups are removed (the exit hook), instead of orphans draining.
  killAllOnSignals();
  const startedAt = new Date();
  const base = process.env.INIT_CWD ?? process.cwd();
  const out = resolve(
    base,
    opts.out ?? join('bench-results', `loadgen-scale-${startedAt.toISOString().replace(/[:.]/g, '-')}`),
  );
  const command = `npm run loadgen:scale -- ${argv.join(' ')}`;
  for (const line of designNotes(opts)) console.log(line);
  const counts: CountResult[] = [];
  for (const n of opts.counts) {
    const last = counts.at(-1);
    const hint = last && last.capacity > 0 ? last.capacity / last.nodes : undefined;
    const found = await findCapacity(n, opts, hint, command, out);
    counts.push(found);
    console.log(`== ${n} node(s): capacity ${found.capacity} users (lowest fail ${found.firstFail ?? 'none'}) ==`);
  }
  writeScale(counts, opts, out, command, startedAt);
  console.log(`\nscaling curve: ${join(out, 'scale.html')} and ${join(out, 'scale.svg')}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`loadgen:scale: ${err instanceof UsageError ? err.message : ((err as Error).stack ?? String(err))}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
