// Stateless mode: a node whose rooms and lobby API use the stateless twin's REST API (real PostgreSQL, Redis and
// twin instances) instead of Resident's objects; and what the node does when the twin answers badly or not at all.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Room } from '@colyseus/sdk';
import type { LeaderboardEntry, Profile } from '@resident/shared/game';
import { GuestTokens, StatelessServiceError, StatelessServices } from '../../src/game/index.ts';
import { TEST_SECRET } from '../../testing/colyseus-cluster.ts';
import { guestLogin, sdkClient } from '../../testing/game-client.ts';
import { type GameNodes, startGameNodes } from '../../testing/game-nodes.ts';
import { freePort, waitFor } from '../../testing/support.ts';
import { call, skip, startTwins, type Twins } from '../baselines/stateless/twins.ts';

const tokens = new GuestTokens(TEST_SECRET);
const claims = (sub: string, name: string) => ({ sub, name, exp: Date.now() + 60_000 });

// biome-ignore lint/suspicious/noExplicitAny: the SDK decodes state by reflection, untyped here
type AnyState = any;

describe('stateless mode', { skip }, () => {
  let twins: Twins;
  let nodes: GameNodes;
  let url: string;

  before(async () => {
    twins = await startTwins(2, TEST_SECRET);
    const env = { RESIDENT_STATELESS_API: twins.apis.map((a) => a.url).join(',') };
    nodes = await startGameNodes({ nodes: 1, cluster: false, env });
    url = nodes.urls[0]!;
  });
  after(async () => {
    await nodes?.stop();
    await twins?.close();
  });

  test('every service call reaches the twin, round-robin over its instances', async () => {
    const services = new StatelessServices(
      twins.apis.map((a) => a.url),
      tokens,
    );
    const me = claims('svc-player', 'Svc');
    const fresh = await services.profile(me);
    assert.deepEqual([fresh.xp, fresh.gamesPlayed, fresh.node], [0, 0, ''], 'before its first game: initial');
    const entered = await services.enter(me);
    assert.equal(entered.name, 'Svc');
    await services.grant(me, 7, 2);
    const result = await services.recordGame(me, { mass: 42.4, eats: 1, xp: 3 });
    assert.deepEqual([result.xp, result.totalEats, result.gamesPlayed, result.bestMass], [10, 3, 1, 42]);
    assert.equal(await services.submitScore(me, 42), true);
    assert.equal(await services.submitScore(me, 41), false, 'not an improvement');
    const nodesSeen = new Set((await Promise.all([1, 2, 3, 4].map(() => services.profile(me)))).map((p) => p.node));
    assert.deepEqual([...nodesSeen].sort(), ['twin1', 'twin2']);
    await waitFor(
      async () => (await services.top()).some((e) => e.id === 'svc-player' && e.bestMass === 42),
      5000,
      'the score in the top (cached up to a second)',
    );
  });

  test('a game in the arena: the player enters the twin, its game and score are recorded there', async () => {
    const login = await guestLogin(url, 'Twinny');
    const room: Room = await sdkClient(url, login.token).joinOrCreate('arena');
    await waitFor(() => (room.state as AnyState)?.blobs?.get(room.sessionId)?.name === 'Twinny', 5000, 'my blob');
    const profile = (await room.request('profile')) as Profile;
    assert.equal(profile.id, login.playerId);
    assert.match(profile.node, /^twin[12]$/, 'answered by a twin instance, not by the node');
    assert.ok(Array.isArray(await room.request('leaderboard')));
    await room.leave();
    const token = twins.tokens.issue(login.playerId, 'Twinny').token;
    const base = twins.apis[0]!.url;
    await waitFor(
      async () => ((await call(base, 'GET', '/api/profile', { token })).body as Profile).gamesPlayed === 1,
      5000,
      'the game recorded in the twin',
    );
    const stored = (await call(base, 'GET', '/api/profile', { token })).body as Profile;
    assert.ok(stored.bestMass >= 10, `best mass ${stored.bestMass}`);
    await waitFor(
      async () => {
        const top = (await call(base, 'GET', '/api/leaderboard')).body as LeaderboardEntry[];
        return top.some((e) => e.id === login.playerId && e.bestMass === stored.bestMass);
      },
      5000,
      'the score on the twin\u2019s leaderboard',
    );
  });

  test('the lobby API reads the twin, and the node activates no Player object', async () => {
    const login = await guestLogin(url, 'Lobby');
    const res = await fetch(`${url}/api/profile`, { headers: { authorization: `Bearer ${login.token}` } });
    const profile = (await res.json()) as Profile;
    assert.deepEqual([res.status, profile.id, profile.name], [200, login.playerId, 'Lobby']);
    const renamed = await guestLogin(url, 'Lobbyist', login.token);
    assert.equal(renamed.playerId, login.playerId);
    const token = twins.tokens.issue(login.playerId, 'x').token;
    const stored = (await call(twins.apis[1]!.url, 'GET', '/api/profile', { token })).body as Profile;
    assert.equal(stored.name, 'Lobbyist', 'a returning guest’s new name reaches the twin');
    const top = await (await fetch(`${url}/api/leaderboard`)).json();
    assert.ok(Array.isArray(top));
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.doesNotMatch(metrics, /resident_active_objects\{class="Player"\} [1-9]/);
  });
});

describe('stateless mode: a twin that answers badly', () => {
  let server: Server;
  let base: string;
  let reply: (path: string) => { status: number; body: string };

  before(async () => {
    server = createServer((req, res) => {
      const { status, body } = reply(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const failure = async (p: Promise<unknown>, message: RegExp) => {
    await assert.rejects(p, (err: unknown) => err instanceof StatelessServiceError && message.test(err.message));
  };

  test('each bad reply is a StatelessServiceError that says what was wrong', async () => {
    const services = new StatelessServices([base], tokens);
    const me = claims('p1', 'Bad');
    const profile = { id: 'p1', name: 'Bad', color: 1, xp: 0, level: 1, gamesPlayed: 0, bestMass: 0, totalEats: 0 };
    const cases: [{ status: number; body: string }, () => Promise<unknown>, RegExp][] = [
      [{ status: 200, body: 'not json' }, () => services.enter(me), /^POST \/api\/enter: the reply is not JSON$/],
      [{ status: 200, body: '{"id":"p1"}' }, () => services.enter(me), /unexpected reply \(name: /],
      [
        { status: 200, body: JSON.stringify({ ...profile, node: 'n', xp: -5 }) },
        () => services.profile(me),
        /unexpected reply \(xp: /,
      ],
      [
        { status: 200, body: JSON.stringify({ ...profile, id: 'p2', node: 'n' }) },
        () => services.recordGame(me, { mass: 1, eats: 0, xp: 0 }),
        /unexpected reply \(body: the profile of another player\)$/,
      ],
      [{ status: 200, body: JSON.stringify([{ id: 'x' }]) }, () => services.top(), /unexpected reply \(0\.name: /],
      [{ status: 200, body: '{"improved":"yes"}' }, () => services.submitScore(me, 1), /unexpected reply \(improved: /],
      [
        { status: 500, body: '{"error":"internal error","code":"internal"}' },
        () => services.grant(me, 1, 1),
        /^POST \/api\/grant answered 500: internal: internal error$/,
      ],
      [{ status: 404, body: '<html>nope</html>' }, () => services.profile(me), /answered 404: "<html>nope<\/html>"$/],
      [
        { status: 200, body: `[${'1,'.repeat(200_000)}1]` },
        () => services.top(),
        /^GET \/api\/leaderboard: the reply is over 262144 bytes$/,
      ],
    ];
    for (const [answer, act, message] of cases) {
      reply = () => answer;
      await failure(act(), message);
    }
  });

  test('a twin that is down: the join is refused with a reason, the lobby gets 502, and the node keeps serving', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    await failure(new StatelessServices([dead], tokens).top(), /^GET \/api\/leaderboard failed: /);
    const nodes = await startGameNodes({ nodes: 1, cluster: false, env: { RESIDENT_STATELESS_API: dead } });
    try {
      const url = nodes.urls[0]!;
      const login = await guestLogin(url, 'Stranded');
      await assert.rejects(sdkClient(url, login.token).joinOrCreate('arena'), (err: Error) => {
        assert.match(err.message, /^POST \/api\/enter failed: /);
        assert.doesNotMatch(err.message, /127\.0\.0\.1/, 'the twin\u2019s address stays on the node');
        return true;
      });
      const res = await fetch(`${url}/api/profile`, { headers: { authorization: `Bearer ${login.token}` } });
      assert.deepEqual(
        [res.status, await res.json()],
        [502, { error: 'the game services did not answer; retry shortly', code: 'services_unavailable' }],
      );
      assert.equal((await fetch(`${url}/health`)).status, 200);
      assert.equal((await fetch(`${url}/api/rooms`)).status, 200);
    } finally {
      await nodes.stop();
    }
  });
});
