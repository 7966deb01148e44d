import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { forgetDir, freePort, removeOnExit, track } from '@resident/infra/process';
import { findOnPath, isExecutable } from './executables.ts';

const INSTALL = 'sudo apt-get install -y redis-server';
const READY_TIMEOUT_MS = 10_000;

export interface RedisServer {
  readonly port: number;
  readonly pid: number | undefined;
  close(): Promise<void>;
}

/** A throwaway redis-server on a free port, no persistence, in a temp dir; killed on close or when we exit. */
export async function startRedis(): Promise<RedisServer> {
  const bin = findRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'rsd-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  removeOnExit(dir);
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', () => {}); // a failed spawn shows as an exit code in waitForPong
  track(child);
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const close = async () => {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
    forgetDir(dir);
  };
  try {
    await waitForPong(port, child);
  } catch (err) {
    await close();
    throw new Error(`redis-server did not start: ${String(err)}\n${output.slice(-2000)}`);
  }
  return { port, pid: child.pid, close };
}

function findRedisServer(): string {
  const fromEnv = process.env.REDIS_SERVER_BIN;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`REDIS_SERVER_BIN=${fromEnv} is not executable. Install redis-server: ${INSTALL}`);
  }
  const found = findOnPath('redis-server');
  if (found) return found;
  throw new Error(`redis-server not found on PATH (or set REDIS_SERVER_BIN). Install it: ${INSTALL}`);
}

async function waitForPong(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if (await ping(port)) return;
    await sleep(25);
  }
  throw new Error(`no PONG on port ${port} within ${READY_TIMEOUT_MS} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (b: Buffer) => {
      reply += b.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
