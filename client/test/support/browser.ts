// Real Chromium (Debian's) through playwright-core, plus helpers that play the game the way a person would:
// type a name, click buttons, hold arrow keys. `window.__resident` (src/debug-hook.ts) is read to check results.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { DebugSnapshot } from '../../src/debug-hook.ts';
import { CLIENT_DIR } from './build.ts';

export const RESULTS_DIR = join(CLIENT_DIR, 'test-results');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export async function newPlayerPage(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  await page.goto(url);
  return { context, page };
}

export function debug(page: Page): Promise<DebugSnapshot> {
  return page.evaluate(() => (window as unknown as { __resident: DebugSnapshot }).__resident);
}

/** Polls `check` on the page's debug snapshot until it returns a truthy value. */
export async function waitFor<T>(
  page: Page,
  what: string,
  check: (s: DebugSnapshot) => T | undefined | false | null,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: DebugSnapshot | undefined;
  while (Date.now() < deadline) {
    last = await debug(page);
    const value = check(last);
    if (value) return value;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${what}; last snapshot: ${JSON.stringify(last)?.slice(0, 1500)}`);
}

export async function enterName(page: Page, name: string): Promise<void> {
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('play').click();
  await page.getByTestId('lobby-name').waitFor();
}

export async function quickPlay(page: Page): Promise<DebugSnapshot> {
  await page.getByTestId('quick-play').click();
  return waitFor(page, 'my blob in the arena', (s) => (s.screen === 'arena' && s.me && s.roomNode ? s : undefined));
}

/** Holds an arrow key for `ms`. */
export async function steer(page: Page, key: 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown', ms: number) {
  await page.keyboard.down(key);
  await page.waitForTimeout(ms);
  await page.keyboard.up(key);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

type Arrow = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown';

/** Holds the arrow keys that point from `me` toward `target` (diagonals included); returns the keys held. */
export async function holdToward(page: Page, me: { x: number; y: number }, target: { x: number; y: number }) {
  const keys: Arrow[] = [];
  const dx = target.x - me.x;
  const dy = target.y - me.y;
  if (Math.abs(dx) > 30) keys.push(dx > 0 ? 'ArrowRight' : 'ArrowLeft');
  if (Math.abs(dy) > 30) keys.push(dy > 0 ? 'ArrowDown' : 'ArrowUp');
  for (const key of keys) await page.keyboard.down(key);
  return keys;
}

export async function release(page: Page, keys: Arrow[]): Promise<void> {
  for (const key of keys) await page.keyboard.up(key);
}

/** Both players steer toward each other until they are `within` world units apart (so each is in the other's view). */
export async function meet(a: Page, b: Page, within: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [sa, sb] = await Promise.all([debug(a), debug(b)]);
    if (!sa.me || !sb.me) throw new Error('a player has no blob');
    if (Math.hypot(sa.me.x - sb.me.x, sa.me.y - sb.me.y) < within) return;
    if (Date.now() > deadline) throw new Error(`players did not meet: ${JSON.stringify([sa.me, sb.me])}`);
    const [ka, kb] = await Promise.all([holdToward(a, sa.me, sb.me), holdToward(b, sb.me, sa.me)]);
    await a.waitForTimeout(250);
    await Promise.all([release(a, ka), release(b, kb)]);
  }
}
