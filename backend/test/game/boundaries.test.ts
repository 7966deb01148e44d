// The thesis: the game is plain classes. Its files must not reach for storage, NATS, HTTP or the node wiring.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const GAME = fileURLToPath(new URL('../../src/game', import.meta.url));
const FORBIDDEN = [
  /objects\/(storage|transport|membership|placement|messaging|catalog)\//,
  /@nats-io\//,
  /^['"]lmdb['"]$/,
  /uWebSockets\.js/,
  /['"]node:(http|https|net|fs)['"]/,
  /\/node\//,
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

test('game files import nothing from storage, NATS, HTTP or the node wiring', () => {
  const all = files(GAME).filter((f) => f.endsWith('.ts'));
  assert.ok(all.length >= 10, 'found the game sources');
  for (const file of all) {
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*(['"][^'"]+['"])/g)].map((m) => m[1]!);
    for (const spec of specifiers) {
      for (const pattern of FORBIDDEN) assert.doesNotMatch(spec, pattern, `${file} imports ${spec}`);
    }
  }
});

test('game files keep no module-level context: no top-level let or var, no setter, no global accessor', () => {
  for (const file of files(GAME).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(file, 'utf8');
    // What a room or object needs comes through `this.resident` / `this.context`; a module variable set by the
    // node would be one context for every node in the process, and a hidden dependency of every test.
    assert.doesNotMatch(source, /^(export\s+)?(let|var)\s/m, `${file} declares module-level mutable state`);
    assert.doesNotMatch(source, /export\s+function\s+set[A-Z]\w*Context\b/, `${file} exports a context setter`);
    assert.doesNotMatch(source, /\b(game|hostNodeId)\(\)/, `${file} reads a global context`);
  }
});
