// Readiness failures, against stand-in processes: a node that exits before it is ready, one that never gets ready.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import type { RunningNode } from '../cluster/nodes.ts';
import { Child } from '../process/child.ts';
import { NotReadyError, waitAllReady } from '../process/readiness.ts';
import { close, listen } from './runner-process.ts';

function standIn(name: string, port: number, script: string): RunningNode {
  const child = new Child({ name, command: process.execPath, args: ['-e', script], onLine: () => {} });
  const address = `127.0.0.1:${port}`;
  return { name, port, address, url: `http://${address}`, child };
}

/** A port nothing listens on: taken from the OS, then let go. */
async function closedPort(): Promise<number> {
  const server = await listen(0);
  const { port } = server.address() as { port: number };
  await close(server);
  return port;
}

test('a node that exits first is named, with its exit and its last lines', async () => {
  const node = standIn('node7', await closedPort(), 'console.log("one"); console.error("boom"); process.exit(3)');
  await assert.rejects(waitAllReady([node], new AbortController().signal, 20_000), (err: unknown) => {
    assert.ok(err instanceof NotReadyError);
    assert.match(err.message, /^node7 \(http:\/\/127\.0\.0\.1:\d+\) exited before it was ready \(exit code 3\)\n/);
    assert.match(err.message, /--- last lines of node7 ---\none\nboom$/);
    return true;
  });
});

test('a node that answers 503 until the deadline is named, with its last answer and why', async () => {
  const server = createServer((_, res) => res.writeHead(503).end('{"why":"3 shards moving"}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const node = standIn('node3', port, 'console.log("starting"); setInterval(() => {}, 1000)');
  try {
    const started = Date.now();
    await assert.rejects(waitAllReady([node], new AbortController().signal, 1_000), (err: unknown) => {
      assert.ok(err instanceof NotReadyError);
      assert.match(
        err.message,
        /^node3 .* did not answer GET \/ready with 200 within 1 s \(last: HTTP 503 \{"why":"3 shards moving"\}\)\n/,
      );
      assert.match(err.message, /--- last lines of node3 ---\nstarting$/);
      return true;
    });
    assert.ok(Date.now() - started < 5_000, 'gave up at the deadline');
  } finally {
    node.child.signal('SIGKILL');
    await node.child.exited;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('all ready in one round: resolves', async () => {
  const server = createServer((_, res) => res.writeHead(200).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const node = standIn('node1', port, 'setInterval(() => {}, 1000)');
  try {
    await waitAllReady([node, { ...node, name: 'node2' }], new AbortController().signal, 5_000);
  } finally {
    node.child.signal('SIGKILL');
    await node.child.exited;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
