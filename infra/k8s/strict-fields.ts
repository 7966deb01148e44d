// Unknown fields (a misspelt key), which the OpenAPI schemas allow: each object is written as a TypeScript literal
// of its kubernetes-models type (generated from the same schemas), every field optional, and the compiler's
// excess-property check names any field the type does not have. Only that check is taken from the compiler: types
// and required fields are manifests.ts's schema validation. One property per line, so an error's line is the
// field's path. The compiler reports one problem per object at a time, so the field it names (an unknown one, or
// one of the wrong type) is taken out and the check runs again, until it finds nothing more.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, type K8sObject, typeModuleOf } from './models.ts';

const require = createRequire(import.meta.url);
const NODE_MODULES = dirname(dirname(require.resolve('kubernetes-models/package.json')));
const TSC = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const EXCESS_PROPERTY = 'TS2353';
/** Enough for every typo a manifest set could hold at once; each round costs a compiler run (about 0.3 s). */
const MAX_ROUNDS = 50;
const PRELUDE =
  'type Optional<T> = T extends readonly (infer U)[] ? Optional<U>[] : T extends object ? { [K in keyof T]?: Optional<T[K]> } : T;';

type Segment = string | number;

interface Line {
  readonly text: string;
  /** The object (its index) and the field this line's property is. */
  readonly at?: { readonly object: number; readonly path: readonly Segment[] };
}

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null && Object.keys(v).length > 0;
const pathText = (path: readonly Segment[]) =>
  path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

/** `value` as TypeScript, one property or element per line, each line tagged with its path. */
function print(value: unknown, object: number, path: readonly Segment[], indent: string, out: Line[]): void {
  const array = Array.isArray(value);
  const entries: [Segment, unknown][] = array
    ? (value as unknown[]).map((v, i) => [i, v])
    : Object.entries(value as object);
  for (const [key, child] of entries) {
    const childPath = [...path, key];
    const label = array ? '' : `${JSON.stringify(key)}: `;
    const at = { object, path: childPath };
    if (!isContainer(child)) {
      out.push({ text: `${indent}${label}${JSON.stringify(child)},`, at });
      continue;
    }
    const [open, close] = Array.isArray(child) ? ['[', ']'] : ['{', '}'];
    out.push({ text: `${indent}${label}${open}`, at });
    print(child, object, childPath, `${indent}  `, out);
    out.push({ text: `${indent}${close},` });
  }
}

function program(objects: readonly object[], kinds: readonly K8sObject[]): Line[] {
  const lines: Line[] = [{ text: PRELUDE }];
  objects.forEach((o, i) => {
    const specifier = typeModuleOf(kinds[i]!);
    if (!specifier) return; // no model: manifests.ts already reports it
    lines.push({ text: `import type { I${kinds[i]!.kind} as T${i} } from ${JSON.stringify(specifier)};` });
    lines.push({ text: `export const o${i}: Optional<T${i}> = {` });
    print(o, i, [], '  ', lines);
    lines.push({ text: '};' });
  });
  return lines;
}

/** Takes the field at `path` out of `root`. */
function remove(root: unknown, path: readonly Segment[]): void {
  let node = root as Record<Segment, unknown>;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<Segment, unknown>;
  const last = path.at(-1)!;
  if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1);
  else delete node[last];
}

/** One line per unknown field: `StatefulSet resident: spec.replicass is an unknown field`. */
export function unknownFields(objects: readonly K8sObject[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'resident-strict-'));
  try {
    const options = { strict: true, noEmit: true, module: 'preserve', moduleResolution: 'bundler', types: [] };
    const paths = { '*': [join(NODE_MODULES, '*')] };
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { ...options, paths }, files: ['check.ts'] }),
    );
    const work = structuredClone(objects) as object[];
    const problems: string[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const found = diagnostics(dir, program(work, objects));
      if (found.length === 0) return problems;
      for (const { object, path, code } of found) {
        if (code === EXCESS_PROPERTY)
          problems.push(`${describe(objects[object]!)}: ${pathText(path)} is an unknown field`);
        remove(work[object], path);
      }
    }
    throw new Error(`strict-fields: still finding problems after ${MAX_ROUNDS} rounds`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Diagnostic {
  readonly object: number;
  readonly path: readonly Segment[];
  readonly code: string;
}

const DIAGNOSTIC = /^check\.ts\((\d+),\d+\): error (TS\d+): /;

/** The compiler's complaints about fields; anything else (a missing module, a broken program) is thrown. */
function diagnostics(dir: string, lines: readonly Line[]): Diagnostic[] {
  writeFileSync(join(dir, 'check.ts'), lines.map((l) => l.text).join('\n'));
  const run = spawnSync(process.execPath, [TSC, '-p', dir], { cwd: dir, encoding: 'utf8' });
  if (run.error) throw new Error(`strict-fields: cannot run tsc: ${run.error.message}`);
  // A diagnostic's first line names the place; indented lines after it explain it.
  const out = run.stdout.split('\n').filter((l) => l !== '' && !/^\s/.test(l));
  if (run.status !== 0 && out.length === 0) throw new Error(`strict-fields: tsc failed: ${run.stderr.trim()}`);
  const found = new Map<number, Diagnostic>();
  for (const text of out) {
    const [, line, code] = DIAGNOSTIC.exec(text) ?? [];
    const at = lines[Number(line) - 1]?.at;
    if (!at || !code) throw new Error(`strict-fields: tsc: ${text}`);
    // One field per object and round: removing one can shift the array indexes of another.
    if (!found.has(at.object)) found.set(at.object, { ...at, code });
  }
  return [...found.values()];
}
