import { startGameNodes } from '@resident/backend/testing/game-nodes';
import { ensureClientBuilt } from '/work/main/client/test/support/build.ts';
import { debug, enterName, launchBrowser, newPlayerPage, quickPlay, screenshot, steer } from '/work/main/client/test/support/browser.ts';
const dist = await ensureClientBuilt();
const nodes = await startGameNodes({ nodes: 1, cluster: false, clientDir: dist });
console.log(nodes.urls);
const browser = await launchBrowser();
try {
  const { page } = await newPlayerPage(browser, nodes.urls[0]!);
  page.on('console', (m) => console.log('[console]', m.text()));
  await enterName(page, 'Alice');
  await page.waitForTimeout(1500);
  await screenshot(page, 'smoke-lobby');
  const s = await quickPlay(page);
  console.log(JSON.stringify(s).slice(0, 600));
  await steer(page, 'ArrowRight', 1500);
  await page.waitForTimeout(300);
  const s2 = await debug(page);
  console.log(JSON.stringify({ me: s2.me, pred: s2.predicted, inputs: s2.inputsSent, ping: s2.ping, pellets: s2.pellets }));
  await screenshot(page, 'smoke-arena');
} finally {
  await browser.close();
  await nodes.stop();
}
