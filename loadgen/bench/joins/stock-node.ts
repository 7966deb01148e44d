// The baseline of bench:joins, one node of it: stock Colyseus 0.18 (@colyseus/core, @colyseus/uwebsockets-transport,
// @colyseus/redis-presence, @colyseus/redis-driver, all as they ship) with a trivial `lounge` room of the same seats
// as Resident's and no state, and a guest login like Resident's: a token signed by Resident's own GuestTokens (HMAC)
// and checked in the room's static onAuth. The lean bots' routes: POST /api/guest, POST /matchmake/joinOrCreate/lounge,
// the room's WebSocket; GET /health, /ready and /metrics (process CPU and RSS) for the loadgen and the bench.
//   node stock-node.ts --node-id ID --port N --redis-port N        (RESIDENT_AUTH_SECRET: the token secret)
// Prints READY <port> once listening.
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { parseArgs } from 'node:util';
import { defineRoom, defineServer, ErrorCode, Room, ServerError } from '@colyseus/core';
import { RedisDriver } from '@colyseus/redis-driver';
import { RedisPresence } from '@colyseus/redis-presence';
import { uWebSocketsTransport } from '@colyseus/uwebsockets-transport';
import { GuestTokens, LoungeRoom } from '@resident/backend/game';
import { checkName } from '@resident/shared/game';

/** Resident's lounge seats this many; the baseline's rooms fill up just as often. */
const SEATS = new LoungeRoom().maxClients;
const MAX_BODY_BYTES = 4096;

const { values } = parseArgs({
  options: { 'node-id': { type: 'string' }, port: { type: 'string' }, 'redis-port': { type: 'string' } },
  strict: true,
});
const nodeId = values['node-id'] ?? 'stock';
const port = Number(values.port);
const redis = { host: '127.0.0.1', port: Number(values['redis-port']) };
const secret = process.env.RESIDENT_AUTH_SECRET;
if (!Number.isInteger(port) || !Number.isInteger(redis.port) || !secret) {
  throw new Error('stock-node needs --port N --redis-port N and RESIDENT_AUTH_SECRET');
}
const tokens = new GuestTokens(secret);

class StockLounge extends Room {
  override maxClients = SEATS;

  static override async onAuth(token: string) {
    try {
      return tokens.verify(token);
    } catch (err) {
      throw new ServerError(ErrorCode.AUTH_FAILED, (err as Error).message);
    }
  }
}

function guestLogin(body: Buffer): { status: string; json: unknown } {
  let name: unknown;
  try {
    name = (JSON.parse(body.toString()) as { name?: unknown }).name;
  } catch {
    return { status: '400 Bad Request', json: { code: 'bad_json', message: 'body is not JSON' } };
  }
  const checked = checkName(name);
  if ('error' in checked) return { status: '400 Bad Request', json: { code: 'bad_name', message: checked.error } };
  const playerId = GuestTokens.newPlayerId();
  const issued = tokens.issue(playerId, checked.name);
  const reply = { token: issued.token, refresh: issued.refresh, playerId, name: checked.name };
  return { status: '200 OK', json: { ...reply, expiresAt: issued.claims.exp } };
}

function replyJson(res: HttpResponse, status: string, json: unknown): void {
  res.cork(() => res.writeStatus(status).writeHeader('content-type', 'application/json').end(JSON.stringify(json)));
}

function routes(app: TemplatedApp): void {
  app.post('/api/guest', (res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    res.onData((chunk, isLast) => {
      size += chunk.byteLength;
      if (size <= MAX_BODY_BYTES) chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast || aborted) return;
      if (size > MAX_BODY_BYTES) return replyJson(res, '413 Payload Too Large', { code: 'too_large' });
      const { status, json } = guestLogin(Buffer.concat(chunks));
      replyJson(res, status, json);
    });
  });
  app.get('/health', (res) => replyJson(res, '200 OK', { status: 'ok', node: nodeId, server: 'stock Colyseus 0.18' }));
  app.get('/ready', (res) => replyJson(res, '200 OK', { ready: true, node: nodeId }));
  // The two process figures the loadgen's scraper reads, in Prometheus text, as prom-client names them.
  app.get('/metrics', (res) => {
    const { user, system } = process.cpuUsage();
    const text =
      `process_cpu_seconds_total ${(user + system) / 1e6}\n` +
      `process_resident_memory_bytes ${process.memoryUsage.rss()}\n`;
    res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'text/plain; version=0.0.4').end(text));
  });
}

const transport = new uWebSocketsTransport();
routes(transport.app);
const server = defineServer({
  transport,
  rooms: { lounge: defineRoom(StockLounge) },
  presence: new RedisPresence(redis),
  driver: new RedisDriver(redis),
  publicAddress: `127.0.0.1:${port}`,
  greet: false,
});
await server.listen(port);
if (!(transport as unknown as { _listeningSocket?: unknown })._listeningSocket) {
  throw new Error(`cannot listen on port ${port}`);
}
process.stdout.write(`READY ${port}\n`);
