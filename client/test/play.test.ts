// Two real browsers (Chromium contexts) against a real backend node serving the built client: they enter names,
// land in the same room, see and follow each other, chat, and keep their profiles across a reload.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type GameNodes, startGameNodes } from '@resident/backend/testing/game-nodes';
import type { Browser, Page } from 'playwright-core';
import {
  debug,
  enterName,
  launchBrowser,
  meet,
  newPlayerPage,
  quickPlay,
  screenshot,
  steer,
  waitFor,
} from './support/browser.ts';
import { CLIENT_DIR, ensureClientBuilt } from './support/build.ts';

describe('browser client against a game node', { timeout: 150_000 }, () => {
  let nodes: GameNodes;
  let browser: Browser;
  let alice: Page;
  let bob: Page;

  before(async () => {
    const clientDir = await ensureClientBuilt();
    [nodes, browser] = await Promise.all([startGameNodes({ nodes: 1, cluster: false, clientDir }), launchBrowser()]);
    alice = (await newPlayerPage(browser, nodes.urls[0]!)).page;
    bob = (await newPlayerPage(browser, nodes.urls[0]!)).page;
  });

  after(async () => {
    await browser?.close();
    await nodes?.stop();
  });

  it('two players land in the same room, see each other, and see each other move', async () => {
    await Promise.all([enterName(alice, 'Alice'), enterName(bob, 'Bob')]);
    const a = await quickPlay(alice);
    // Bob's lobby lists Alice's room with its host node before he joins it.
    await bob.locator(`tr[data-room="${a.roomId}"]`).waitFor({ timeout: 5000 });
    assert.match((await bob.locator(`tr[data-room="${a.roomId}"]`).textContent()) ?? '', /1\/\d+.*node1/);
    await screenshot(bob, 'lobby');
    const b = await quickPlay(bob);
    assert.equal(b.roomId, a.roomId, 'quick play puts both in the same room');

    await meet(alice, bob, 350);
    const seen = await waitFor(bob, "Alice's blob on Bob's screen", (s) => s.blobs.find((x) => x.id === a.sessionId));
    await waitFor(alice, "Bob's blob on Alice's screen", (s) => s.blobs.find((x) => x.id === b.sessionId));
    const arena = await screenshot(alice, 'arena');
    // The README's picture: written when missing, or refreshed on request, so a test run leaves git clean.
    const docsImage = join(CLIENT_DIR, '../docs/img/arena.png');
    if (!existsSync(docsImage) || process.env.UPDATE_DOCS_IMG === '1') {
      mkdirSync(dirname(docsImage), { recursive: true });
      copyFileSync(arena, docsImage);
    }

    // Alice steers; Bob sees her blob move (interpolated, about 100 ms behind).
    const going = seen.y > 1500 ? 'ArrowUp' : 'ArrowDown';
    await steer(alice, going, 800);
    const moved = await waitFor(bob, "Alice moving on Bob's screen", (s) => {
      const now = s.blobs.find((x) => x.id === a.sessionId);
      return now && Math.abs(now.y - seen.y) > 80 ? now : undefined;
    });
    assert.ok(Math.sign(moved.y - seen.y) === (going === 'ArrowUp' ? -1 : 1), 'in the direction she steered');

    // Her own screen agreed at once (prediction), and the server acknowledged her inputs.
    const mine = await debug(alice);
    assert.ok(mine.me && mine.me.ack > 0 && mine.inputsSent >= mine.me.ack - 1);
    assert.ok(mine.predicted && Math.abs(mine.predicted.y - mine.me.y) < 60, 'prediction stays close to the server');
  });

  it('chat reaches the other player', async () => {
    await alice.getByTestId('chat-input').fill('hello from Alice');
    await alice.getByTestId('chat-input').press('Enter');
    await bob.getByTestId('chat-log').getByText('hello from Alice').waitFor({ timeout: 5000 });
    assert.match((await bob.getByTestId('chat-log').textContent()) ?? '', /Alice: hello from Alice/);
  });

  it('the HUD shows ping, FPS, the room top 10 and the nodes hosting the room and the player', async () => {
    await waitFor(alice, 'a ping', (s) => s.ping !== undefined);
    await alice.getByTestId('player-node').getByText('node1').waitFor({ timeout: 5000 });
    assert.equal(await alice.getByTestId('room-node').textContent(), 'node1');
    assert.match((await alice.getByTestId('ping').textContent()) ?? '', /^\d+ ms$/);
    assert.match((await alice.getByTestId('fps').textContent()) ?? '', /^\d+$/);
    await alice.getByTestId('room-top').getByText('Bob').waitFor({ timeout: 5000 });
    await alice.getByTestId('hud-leaderboard').click();
    await alice
      .getByTestId('leaderboard')
      .getByText(/Nobody yet|\d/)
      .first()
      .waitFor({ timeout: 5000 });
    await alice.getByTestId('leaderboard').getByRole('button').click();
  });

  it('a profile survives a reload', async () => {
    const before = await debug(bob);
    await bob.getByTestId('leave').click(); // the game is recorded on leave
    await bob.getByTestId('lobby-name').waitFor();
    const id = await bob.getByTestId('profile-id').textContent();
    assert.equal(id, before.playerId);
    await bob.reload();
    await bob.getByTestId('lobby-name').waitFor(); // no name screen: the saved guest token signed him back in
    await waitFor(bob, 'the same player after reload', (s) => s.playerId === before.playerId);
    await bob.getByTestId('profile-id').getByText(before.playerId!).waitFor();
    assert.equal(await bob.getByTestId('profile-name').textContent(), 'Bob');
    await bob.getByTestId('profile-games').getByText('1').waitFor({ timeout: 5000 });
  });

  it('touch steering on a phone-sized screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    const page = await phone.newPage();
    await page.goto(nodes.urls[0]!);
    await enterName(page, 'Phone');
    await screenshot(page, 'lobby-phone');
    const start = await quickPlay(page);
    const toward = start.me!.x < 1500 ? 1 : -1; // steer toward the middle of the world, away from a wall
    const touch = await phone.newCDPSession(page);
    const at = { x: 195 + toward * 150, y: 422 };
    await touch.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at] });
    for (let i = 0; i < 8; i++) {
      await page.waitForTimeout(100);
      await touch.send('Input.dispatchTouchEvent', {
        type: 'touchMove',
        touchPoints: [{ x: at.x, y: at.y + (i % 2) }],
      });
    }
    await touch.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    const moved = await waitFor(page, 'the blob moved by touch', (s) =>
      s.me && (s.me.x - start.me!.x) * toward > 80 ? s.me : undefined,
    );
    assert.ok(Math.abs(moved.y - start.me!.y) < 40, 'in the direction of the finger');
    await screenshot(page, 'arena-phone');
    await phone.close();
  });

  it('a private room is joined by its code', async () => {
    await bob.getByTestId('create-private').click();
    const host = await waitFor(bob, 'a private room', (s) => (s.screen === 'arena' && s.me ? s : undefined));
    assert.match(host.roomId!, /^[A-Za-z0-9]{6}$/, 'the code is the roomId');
    await alice.getByTestId('leave').click();
    await alice.getByTestId('code-input').fill(host.roomId!);
    await alice.getByTestId('join-code').click();
    const guest = await waitFor(alice, 'in the private room', (s) => (s.screen === 'arena' && s.me ? s : undefined));
    assert.equal(guest.roomId, host.roomId);
  });
});
