import { startGameNodes } from '@resident/backend/testing/game-nodes';
import { ensureClientBuilt } from '/work/main/client/test/support/build.ts';
import { debug, enterName, launchBrowser, newPlayerPage, quickPlay, steer } from '/work/main/client/test/support/browser.ts';
const dist = await ensureClientBuilt();
const nodes = await startGameNodes({ nodes: 1, cluster: false, clientDir: dist });
const browser = await launchBrowser();
try {
  const { page } = await newPlayerPage(browser, nodes.urls[0]! + (process.argv[2] ?? ''));
  await enterName(page, 'Alice');
  await quickPlay(page);
  const t0 = Date.now(); const a = await debug(page);
  await steer(page, 'ArrowRight', 3000);
  const b = await debug(page);
  console.log('inputs/s', ((b.inputsSent - a.inputsSent) / ((Date.now() - t0) / 1000)).toFixed(1), 'fps', await page.getByTestId('fps').textContent(), 'ping', b.ping?.toFixed(0));
  console.log(await page.evaluate(() => { const c = document.querySelector('canvas') as HTMLCanvasElement; const gl = c.getContext('webgl2') || c.getContext('webgl'); return gl ? (gl.getParameter(gl.RENDERER) + ' / ' + (gl.getExtension('WEBGL_debug_renderer_info') ? gl.getParameter(0x9246) : '')) : 'no webgl ctx'; }));
} finally {
  await browser.close();
  await nodes.stop();
}
