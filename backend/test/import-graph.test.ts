// The import graph, as dpdm reads it (type-only imports included): the object runtime is entered only through its
// two entry points, and no module imports itself round a cycle.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DependencyTree, parseCircular, parseDependencyTree } from 'dpdm';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OBJECTS = 'backend/src/objects/';
const ENTRY_POINTS = new Set([`${OBJECTS}index.ts`, `${OBJECTS}internal.ts`]);

/** File → the repository files it imports, both relative to the repository root (as dpdm names them). */
async function importsOf(globs: string[]): Promise<Map<string, string[]>> {
  const tree: DependencyTree = await parseDependencyTree(globs, { context: ROOT, cwd: ROOT, tsconfig: undefined });
  const graph = new Map<string, string[]>();
  for (const [file, deps] of Object.entries(tree)) {
    const local = (deps ?? []).flatMap((d) => (d.id && !d.id.includes('node_modules') ? [d.id] : []));
    graph.set(file, local);
  }
  return graph;
}

describe('import graph', () => {
  test('outside backend/src/objects, only its index.ts and internal.ts are imported', async () => {
    const globs = ['backend', 'shared', 'loadgen', 'infra', 'client', 'testing'].map((dir) => `${dir}/**/*.ts`);
    const graph = await importsOf(globs);
    assert.ok(graph.has(`${OBJECTS}runtime.ts`), 'the scan reached the object runtime');
    const past: string[] = [];
    for (const [file, deps] of graph) {
      if (file.startsWith(OBJECTS)) continue;
      for (const dep of deps) if (dep.startsWith(OBJECTS) && !ENTRY_POINTS.has(dep)) past.push(`${file} → ${dep}`);
    }
    assert.deepEqual(past, [], 'import from backend/src/objects/index.ts (public) or internal.ts instead');
  });

  test('no import cycles in backend/src, shared and loadgen/src', async () => {
    const tree = await parseDependencyTree(['backend/src/**/*.ts', 'shared/**/*.ts', 'loadgen/src/**/*.ts'], {
      context: ROOT,
      cwd: ROOT,
      tsconfig: undefined,
    });
    const cycles = parseCircular(tree).map((cycle) => cycle.join(' → '));
    assert.ok(Object.keys(tree).length > 100, 'the scan found the sources');
    assert.deepEqual(cycles, []);
  });
});
