// `npm run k8s:render -w infra`: writes the generated files (generated.ts); with --check, exits 1 naming any file
// that differs from what would be written.

import { readFileSync, writeFileSync } from 'node:fs';
import { generatedFiles } from './generated.ts';

const check = process.argv.includes('--check');
let stale = 0;
for (const file of generatedFiles()) {
  const current = (() => {
    try {
      return readFileSync(file.path, 'utf8');
    } catch {
      return undefined;
    }
  })();
  if (current === file.text) continue;
  if (check) {
    console.error(`k8s:render: ${file.path} is stale`);
    stale++;
  } else {
    writeFileSync(file.path, file.text);
    console.log(`k8s:render: wrote ${file.path}`);
  }
}
process.exit(stale ? 1 : 0);
