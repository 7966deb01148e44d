import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { post, TimeoutError } from '../src/protocol/http-post.ts';

const OK = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}';

/** A raw HTTP server: `answer(n)` says what to do with the n-th request (from 1) on a connection. */
function server(
  answer: (n: number, socket: Socket) => void,
): Promise<{ url: URL; close(): void; connections(): number }> {
  let connections = 0;
  const srv: Server = createServer((socket) => {
    connections++;
    let n = 0;
    socket.on('data', (d) => {
      if (d.includes('\r\n\r\n')) answer(++n, socket); // headers and the small body come in one segment here
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      resolve({
        url: new URL(`http://127.0.0.1:${port}/api/guest`),
        close: () => srv.close(),
        connections: () => connections,
      });
    }),
  );
}

const servers: { close(): void }[] = [];
after(() => {
  for (const s of servers) s.close();
});

test('a kept-alive connection the server resets is replaced: the request is sent again on a new one', async () => {
  const s = await server((n, socket) => (n === 1 ? socket.write(OK) : socket.resetAndDestroy()));
  servers.push(s);
  assert.equal((await post(s.url, '{}', undefined, { timeoutMs: 2000 })).status, 200);
  const again = await post(s.url, '{}', 'tok', { timeoutMs: 2000 });
  assert.equal(again.status, 200);
  assert.equal(again.text, '{"ok":true}');
  assert.equal(s.connections(), 2, 'the second request went out again on a connection of its own');
});

test('a reset on a new connection is an error, not retried', async () => {
  const s = await server((_n, socket) => socket.resetAndDestroy());
  servers.push(s);
  await assert.rejects(
    post(s.url, '{}', undefined, { timeoutMs: 2000 }),
    (err: Error & { code?: string }) => err.code === 'ECONNRESET',
  );
  assert.equal(s.connections(), 1);
});

test('no answer within the time limit is a TimeoutError', async () => {
  const s = await server(() => {});
  servers.push(s);
  await assert.rejects(post(s.url, '{}', undefined, { timeoutMs: 200 }), TimeoutError);
});

test('status, body and Retry-After come back as the server sent them', async () => {
  const body = '{"code":503}';
  const s = await server((_n, socket) =>
    socket.write(`HTTP/1.1 503 Busy\r\nRetry-After: 2\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
  );
  servers.push(s);
  const res = await post(s.url, '{}', undefined, { timeoutMs: 2000 });
  assert.deepEqual(res, { status: 503, text: body, retryAfter: '2' });
});

test('a request leaves from its bot’s source address, and each address keeps its own connections', async () => {
  const peers: string[] = [];
  const s = await server((_n, socket) => {
    peers.push(socket.remoteAddress ?? '');
    socket.write(OK);
  });
  servers.push(s);
  for (const localAddress of ['127.0.0.7', '127.0.0.8', '127.0.0.7', '127.0.0.8'])
    assert.equal((await post(s.url, '{}', undefined, { timeoutMs: 2000, localAddress })).status, 200);
  assert.deepEqual(peers, ['127.0.0.7', '127.0.0.8', '127.0.0.7', '127.0.0.8']);
  assert.equal(s.connections(), 2, 'one kept-alive connection per source address');
});
