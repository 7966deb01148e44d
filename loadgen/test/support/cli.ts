// Runs the loadgen CLI as its own process (as `npm run loadgen` does), bounded in time.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/cli/usage-error.ts';
import type { LoadgenResult } from '../../src/report/result.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
/** `npm run loadgen:scale`. */
export const SCALE_MAIN = fileURLToPath(new URL('../../src/scale/main.ts', import.meta.url));
const CWD = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  /** Resolves with the exit code and everything printed. */
  done: Promise<{ code: number | null; out: string; err: string }>;
}

export function startCli(args: string[], timeoutMs = 120_000, main = MAIN): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: CWD,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOADGEN_LINE_EVERY_MS: '1000' },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, done };
}

/** Resolves once the process has printed a line matching `pattern` (progress lines come every second in tests). */
export function waitForOutput(run: CliRun, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${seen}`)),
      timeoutMs,
    );
    run.child.stdout!.on('data', (d: Buffer) => {
      seen = (seen + d).slice(-20_000);
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

export function runCli(args: string[], timeoutMs?: number, main?: string) {
  return startCli(args, timeoutMs, main).done;
}

export function readResult(file: string): LoadgenResult {
  return JSON.parse(readFileSync(file, 'utf8')) as LoadgenResult;
}

/** A report must be one self-contained page: uPlot inlined, the data embedded, no external script or style. */
export function checkHtml(html: string): string | undefined {
  if (!html.startsWith('<!doctype html>')) return 'not an HTML document';
  if (!html.includes('uPlot')) return 'uPlot is not inlined';
  if (/<script[^>]+src=|<link[^>]+stylesheet/.test(html)) return 'refers to external files';
  if (!html.includes('const DATA=')) return 'no embedded data';
  return undefined;
}

/** An assertion that `parse` refuses its flags with a one-line UsageError matching `pattern`. */
export function refusedBy(parse: (args: string[]) => unknown) {
  return (args: string[], pattern: RegExp) =>
    assert.throws(
      () => parse(args),
      (err: unknown) => err instanceof UsageError && pattern.test(err.message),
    );
}

/** One test per bad flag list: the script at `main` exits 2 with one line matching the message. */
export function refusesBadFlags(main: string, cases: readonly (readonly [readonly string[], RegExp])[]): void {
  for (const [flags, message] of cases) {
    test(flags.join(' '), async () => {
      const run = await runCli([...flags], 30_000, main);
      assert.equal(run.code, 2, `${run.out}\n${run.err}`);
      assert.match(run.err, message);
      assert.equal(run.err.trim().split('\n').length, 1, 'one line');
    });
  }
}
