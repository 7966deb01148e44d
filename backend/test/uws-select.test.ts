// The uWebSockets.js build selector (packages/uwebsockets) with fake loaders, plus the real module on this host.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { type BuildCandidate, selectBuild } from '../../packages/uwebsockets/select.js';

const require = createRequire(import.meta.url);

const loads = (name: string, module: unknown): BuildCandidate => ({ name, load: () => module });
const fails = (name: string, message: string): BuildCandidate => ({
  name,
  load: () => {
    throw new Error(message);
  },
});
const mustNotLoad = (name: string): BuildCandidate => ({
  name,
  load: () => assert.fail(`${name} loaded although an earlier build already had`),
});

function capture() {
  const lines: string[] = [];
  return { lines, log: (line: string) => lines.push(line) };
}

test('picks the first candidate that loads, and logs one line naming it', () => {
  const first = { App: () => 'first' };
  const { lines, log } = capture();
  const selected = selectBuild([loads('build A', first), mustNotLoad('build B')], { log });
  assert.equal(selected.name, 'build A');
  assert.equal(selected.module, first);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /using build A/);
  assert.doesNotMatch(lines[0]!, /failed/);
});

test('falls back to the second candidate when the first throws, and says the first failed', () => {
  const second = { App: () => 'second' };
  const { lines, log } = capture();
  const selected = selectBuild([fails('build A', 'GLIBC_2.38 not found'), loads('build B', second)], { log });
  assert.equal(selected.name, 'build B');
  assert.equal(selected.module, second);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /using build B/);
  assert.match(lines[0]!, /build A failed/);
});

test('throws naming the supported Node versions, glibc versions and this host when no build loads', () => {
  const candidates = [fails('build A', 'GLIBC_2.38 not found\nstack...'), fails('build B', 'wrong ABI')];
  const { lines, log } = capture();
  assert.throws(
    () => selectBuild(candidates, { log }),
    (err: Error) => {
      assert.match(err.message, /Node 20, 22, 24 or 25 on glibc >= 2\.38/);
      assert.match(err.message, /Node 16, 18 or 20 on glibc >= 2\.27/);
      assert.ok(err.message.includes(`Node ${process.version}`), `host Node version missing:\n${err.message}`);
      // each candidate's first error line, not its stack
      assert.match(err.message, /build A: GLIBC_2\.38 not found\n/);
      assert.match(err.message, /build B: wrong ABI/);
      assert.doesNotMatch(err.message, /stack\.\.\./);
      return true;
    },
  );
  assert.deepEqual(lines, []);
});

test('describes the host it was given: Node version, ABI, platform and glibc', () => {
  const proc = {
    version: 'v99.1.2',
    versions: { modules: '999' },
    platform: 'linux',
    arch: 'arm64',
    report: { getReport: () => ({ header: { glibcVersionRuntime: '2.31' } }) },
  } as unknown as NodeJS.Process;
  assert.throws(
    () => selectBuild([fails('build A', 'nope')], { log: () => {}, proc }),
    /this host runs Node v99\.1\.2 \(ABI 999\) on linux-arm64 with glibc 2\.31/,
  );
});

test("require('uWebSockets.js') on this host yields a working module naming one of the two builds", () => {
  const uws = require('uWebSockets.js') as { App?: unknown; __build?: unknown };
  const builds = require('../../packages/uwebsockets/builds.js') as BuildCandidate[];
  assert.equal(typeof uws.App, 'function');
  assert.ok(
    builds.some((b) => b.name === uws.__build),
    `__build ${String(uws.__build)} is none of: ${builds.map((b) => b.name).join(', ')}`,
  );
  assert.ok(!Object.keys(uws).includes('__build'), '__build should be non-enumerable');
});
