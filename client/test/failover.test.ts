// The node hosting the room is killed (SIGKILL) in a 2-node cluster: the page shows "reconnecting…", follows the
// room to the surviving node through ResilientRoom, and keeps playing without a reload.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type GameNodes, startGameNodes } from '@resident/backend/testing/game-nodes';
import type { Browser, Page } from 'playwright-core';
import {
  debug,
  enterName,
  launchBrowser,
  newPlayerPage,
  quickPlay,
  screenshot,
  steer,
  waitFor,
} from './support/browser.ts';
import { ensureClientBuilt } from './support/build.ts';

describe('failover in the browser', { timeout: 150_000 }, () => {
  let nodes: GameNodes;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const clientDir = await ensureClientBuilt();
    [nodes, browser] = await Promise.all([startGameNodes({ nodes: 2, cluster: true, clientDir }), launchBrowser()]);
    // The page learns the other node from GET /api/nodes on the node that served it.
    page = (await newPlayerPage(browser, `${nodes.urls[0]}/`)).page;
  });

  after(async () => {
    await browser?.close();
    await nodes?.stop();
  });

  it('killing the node that hosts the room: the page reconnects and keeps playing', async (t) => {
    await enterName(page, 'Survivor');
    const start = await quickPlay(page);
    const victim = nodes.nodeIds.indexOf(start.roomNode!);
    assert.ok(victim >= 0, `room on a known node (${start.roomNode})`);
    await steer(page, 'ArrowLeft', 300);
    await page.waitForTimeout(600); // at least one room checkpoint (200 ms in the harness) after joining

    const killedAt = Date.now();
    await nodes.kill(victim);
    await page.getByTestId('reconnecting').waitFor({ state: 'visible', timeout: 5000 });
    const back = await waitFor(
      page,
      'the room back on the other node',
      (s) => (s.failovers === 1 && !s.reconnecting && s.me && s.roomNode !== start.roomNode ? s : undefined),
      20_000,
    );
    t.diagnostic(`back in the room ${Date.now() - killedAt} ms after kill -9, now on ${back.roomNode}`);
    assert.equal(back.roomId, start.roomId, 'same room');
    assert.equal(back.sessionId, start.sessionId, 'same seat');
    assert.equal(back.screen, 'arena');
    assert.ok(await page.getByTestId('reconnecting').isHidden(), 'banner gone');
    await page.getByTestId('room-node').getByText(back.roomNode!).waitFor({ timeout: 2000 }); // the HUD too

    // Keeps playing: new inputs are acknowledged by the restored room and the blob moves.
    const before = back.me!;
    await steer(page, before.x > 1500 ? 'ArrowLeft' : 'ArrowRight', 1000);
    const after = await waitFor(page, 'movement after failover', (s) =>
      s.me && s.me.ack > before.ack && Math.abs(s.me.x - before.x) > 100 ? s.me : undefined,
    );
    assert.ok(after.alive, 'still alive');
    const now = await debug(page);
    const gap = now.predicted && Math.hypot(now.predicted.x - now.me!.x, now.predicted.y - now.me!.y);
    assert.ok(gap !== undefined && gap < 60, `prediction agrees with the restored room (${gap})`);
    await screenshot(page, 'arena-after-failover');
  });
});
