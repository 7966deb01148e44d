// `node --import tsx infra/image/main.ts [--base IMAGE] [--rebuild-base] [--tag T]`: builds the node's image.
// Without --base it first builds (or reuses) the local base, for machines without a container registry.

import { parseArgs } from 'node:util';
import { ensureBase } from './base.ts';
import { buildImage, IMAGE } from './image.ts';

const USAGE = `usage: node --import tsx infra/image/main.ts [options]
  --base IMAGE     build on IMAGE, e.g. node:24-trixie-slim (default: the local base, built if missing)
  --rebuild-base   rebuild the local base even if it is cached
  --tag T          the image's name (default ${IMAGE})`;

function main(): void {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      'rebuild-base': { type: 'boolean' },
      tag: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const base = values.base ?? ensureBase({ rebuild: values['rebuild-base'] ?? false }).image;
  const built = buildImage({ base, ...(values.tag ? { tag: values.tag } : {}) });
  const mb = (built.bytes / 1e6).toFixed(0);
  console.log(`image: ${built.image} on ${base}: ${mb} MB, built in ${built.seconds.toFixed(0)} s`);
}

try {
  main();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
