import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperatedBridge, type OperatedBridge } from '../support/operations.js';
import { closedPort, startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';
import { fixedStats, listedSessions, session } from '../support/views.js';
import { launchChromium, type Chromium } from './chromium.js';

/** The browser's own objects, used inside the page (the project's types have no DOM). */
declare function getComputedStyle(element: unknown): { readonly backgroundColor: string };
declare const document: {
  readonly cookie: string;
  readonly body: { readonly dataset: Record<string, string | undefined> };
  readonly documentElement: { readonly scrollWidth: number };
};
declare const innerWidth: number;

const TOKEN = 'page-admin-token-0123456789';
/** Where the screenshot goes, to be looked at by a person (the test prints the path). */
const SCREENSHOT = join(process.env.SCREENSHOT_DIR ?? tmpdir(), 'iptv-auth-bridge-status-page.png');
/** Past the page's refresh period (a few seconds): jumping this far runs its next refresh, once. */
const NEXT_REFRESH = '01:00';
const VIEWER = { 'X-Real-IP': '203.0.113.9', 'X-Real-Path': '/tv/a001/index.m3u8' };

let middleware: ReplayServer;
let bridge: OperatedBridge;
let chromium: Chromium;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
  const dead = await closedPort();
  const now = Date.now();
  bridge = await startOperatedBridge(
    {
      admin: { token: TOKEN },
      backends: {
        check: { type: 'http', url: `${middleware.url}/auth/check` },
        // A real dead middleware: nothing listens on its port.
        portal: {
          type: 'ministra',
          url: `http://127.0.0.1:${dead}/stalker_portal`,
          timeoutMs: 300,
          breaker: { failures: 2, cooldown: 600 },
        },
      },
      routes: { default: { backends: ['check'] }, stb: { backends: ['portal'] } },
    },
    {
      sessions: listedSessions([
        session({ session: '1', user: 'alice', channel: 'travel-channel' }),
        session({ session: '2', user: 'bob', channel: 'travel-channel' }),
        session({ session: '3', user: 'carol', channel: 'news-24', route: 'stb', decision: 'deny', by: 'default' }),
      ]),
      stats: fixedStats(
        [
          { key: 'news-24', viewers: 41, sessions: 97, watchSeconds: 183_000, peakConcurrent: 22 },
          { key: 'travel-channel', viewers: 58, sessions: 120, watchSeconds: 250_000, peakConcurrent: 31 },
        ],
        Array.from({ length: 72 }, (_, i) => ({
          at: new Date(now - (71 - i) * 300_000).toISOString(),
          viewers: Math.round(20 + 15 * Math.sin(i / 8)),
        })),
      ),
    },
  );
  for (let i = 0; i < 3; i++)
    await (await fetch(`${bridge.decisions}/auth?token=good-token`, { headers: VIEWER })).text();
  for (let i = 0; i < 3; i++)
    await (
      await fetch(`${bridge.decisions}/auth/stb?token=0123456789abcdef0123456789abcdef`, { headers: VIEWER })
    ).text();

  chromium = await launchChromium({ viewport: { width: 1280, height: 1000 } });
  browser = chromium.context;
  // The page's own timers on a clock the test moves: its next refresh comes when told, not after seconds of waiting.
  await browser.clock.install();
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await bridge.close();
  await middleware.close();
});

describe('the status page in Chromium', () => {
  it('opens with ?token=, keeps an HttpOnly cookie and draws what an operator needs', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${bridge.admin}/?token=${TOKEN}`);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(page.url()).not.toContain(TOKEN);
    await page.waitForSelector('body[data-updated]');
    // A second refresh, so the per-second rates have two readings to compare.
    const first = await page.getAttribute('body', 'data-updated');
    await page.clock.fastForward(NEXT_REFRESH);
    await page.waitForFunction((before) => document.body.dataset.updated !== before, first, { timeout: 10_000 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`status page screenshot: ${SCREENSHOT}`);

    expect(errors).toEqual([]);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await expect(page.locator('#health').textContent()).resolves.toBe('DEGRADED · 1 backend failing');

    const healthy = page.locator('#backends tr', { hasText: 'check' });
    const failing = page.locator('#backends tr', { hasText: 'portal' });
    expect(await healthy.locator('td').allTextContents()).toEqual([
      'check',
      'http',
      'OK',
      'closed',
      'allow',
      expect.stringMatching(/ ms$/),
      '1',
      '0',
    ]);
    expect(await failing.locator('td').allTextContents()).toEqual([
      'portal',
      'ministra',
      'FAILING',
      'open',
      'circuit-open',
      expect.stringMatching(/ ms$/),
      '3',
      '3',
    ]);
    expect(await failing.isVisible()).toBe(true);
    // Shown as failing, not only said: a red row.
    expect(
      await failing
        .locator('td')
        .first()
        .evaluate((cell) => getComputedStyle(cell).backgroundColor),
    ).toBe('rgb(253, 236, 234)');

    const tiles = await page.locator('#rates .tile').allInnerTexts();
    expect(tiles).toContainEqual(expect.stringMatching(/^3\s+default answers, total$/));
    expect(tiles).toContainEqual(expect.stringMatching(/^3\s+live sessions$/));
    expect(tiles).toContainEqual(expect.stringMatching(/^0\.0\s+allowed \/ s$/));

    expect(await page.locator('#sessions td').allTextContents()).toEqual(
      expect.arrayContaining(['alice', 'bob', 'carol', 'news-24']),
    );
    const channels = await page.locator('#channels tbody tr td:first-child').allTextContents();
    expect(channels).toEqual(['travel-channel', 'news-24']);
    expect(await page.locator('#chart polyline').getAttribute('points')).toMatch(
      /^(\d+(\.\d+)?,\d+(\.\d+)? ){71}\d+(\.\d+)?,\d+(\.\d+)?$/,
    );
    expect(await page.locator('#chartCaption').textContent()).toMatch(
      /^peak 35 viewers · \d\d:\d\d( [AP]M)? to \d\d:\d\d( [AP]M)?$/,
    );
  }, 60_000);

  it('is not HEALTHY while a backend fails with its circuit still closed', async () => {
    const flaky = await startOperatedBridge({
      admin: { token: TOKEN },
      backends: {
        // Nothing listens on its port; ten failures in a row before the circuit opens.
        portal: {
          type: 'ministra',
          url: `http://127.0.0.1:${await closedPort()}/stalker_portal`,
          timeoutMs: 300,
          breaker: { failures: 10 },
        },
      },
      routes: { default: { backends: ['portal'] } },
    });
    try {
      await (await fetch(`${flaky.decisions}/auth?token=0123456789abcdef0123456789abcdef`, { headers: VIEWER })).text();
      const own = await browser.newPage();
      await own.goto(`${flaky.admin}/?token=${TOKEN}`);
      await own.waitForSelector('body[data-updated]');
      expect(await own.locator('#backends tr', { hasText: 'portal' }).locator('td').nth(3).textContent()).toBe(
        'closed',
      );
      await expect(own.locator('#health').textContent()).resolves.toBe('DEGRADED · 1 backend failing');
      expect(await own.locator('#health').getAttribute('class')).toBe('badge bad');
      await own.close();
    } finally {
      await flaky.close();
    }
  }, 30_000);

  it('lists the most recently seen live sessions first and says how many are not shown', async () => {
    // Listed by the view oldest first, as the tracker keeps them: viewer-0 was seen longest ago.
    const many = Array.from({ length: 48 }, (_, i) =>
      session({
        session: String(i),
        user: `viewer-${i}`,
        lastSeen: new Date(Date.UTC(2026, 11, 1, 8, i)).toISOString(),
      }),
    );
    const busy = await startOperatedBridge({ admin: { token: TOKEN } }, { sessions: listedSessions(many) });
    try {
      const own = await browser.newPage();
      await own.goto(`${busy.admin}/?token=${TOKEN}`);
      await own.waitForSelector('body[data-updated]');
      const users = await own.locator('#sessions tbody tr td:first-child').allTextContents();
      expect(users).toEqual(Array.from({ length: 15 }, (_, i) => `viewer-${47 - i}`));
      expect(await own.locator('#sessions tbody tr').first().locator('td').last().textContent()).toBe('08:47:00');
      expect(await own.locator('#sessionsMore').textContent()).toBe('33 more not shown');
      await own.close();
    } finally {
      await busy.close();
    }
  }, 30_000);

  it('cuts a long user or channel name short in its cell, whole in its title, and the page stays as wide as the window', async () => {
    const long = { user: 'L'.repeat(300), channel: 'C'.repeat(500) };
    const named = await startOperatedBridge(
      { admin: { token: TOKEN } },
      { sessions: listedSessions([session({ session: '1', ...long })]) },
    );
    try {
      const own = await browser.newPage();
      await own.goto(`${named.admin}/?token=${TOKEN}`);
      await own.waitForSelector('body[data-updated]');
      const widths = await own.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
      expect(widths[0]).toBeLessThanOrEqual(widths[1]!);
      expect(await own.locator('#sessions tbody tr td').first().getAttribute('title')).toBe(long.user);
      await own.close();
    } finally {
      await named.close();
    }
  }, 30_000);

  it('keeps the badge and the other parts when only the statistics cannot be read, and says so where they go', async () => {
    const own = await browser.newPage();
    // As the admin listener answers while the statistics database is down (README: "/admin/stats* answer 503").
    await own.route('**/admin/stats**', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'the statistics database is unavailable: SQLITE_NOTADB' }),
      }),
    );
    try {
      await own.goto(`${bridge.admin}/?token=${TOKEN}`);
      await own.waitForSelector('body[data-updated]');
      await expect(own.locator('#health').textContent()).resolves.toBe('DEGRADED · 1 backend failing');
      expect(await own.locator('#banner').isVisible()).toBe(false);
      expect(await own.locator('#channels').textContent()).toBe(
        'unavailable: /admin/stats?by=channel&since=24h answered 503: the statistics database is unavailable: SQLITE_NOTADB',
      );
      expect(await own.locator('#chart').textContent()).toMatch(
        /^unavailable: \/admin\/stats\/concurrency\?.* answered 503: /,
      );
      expect(await own.locator('#sessions td').allTextContents()).toEqual(expect.arrayContaining(['alice', 'carol']));
    } finally {
      await own.close();
    }
  }, 30_000);

  it('says UNREACHABLE when the bridge takes the request and never answers (stopped, wedged)', async () => {
    const own = await browser.newPage();
    await own.goto(`${bridge.admin}/?token=${TOKEN}`);
    await own.waitForSelector('body[data-updated]');
    // From now on every status request is held open, as by a bridge stopped with SIGSTOP.
    const held: unknown[] = [];
    let asked!: () => void;
    const askedOnce = new Promise<void>((resolve) => (asked = resolve));
    await own.route('**/admin/status', (route) => {
      held.push(route);
      asked();
    });
    await own.clock.fastForward(NEXT_REFRESH);
    // Its refresh is waiting on the held request: past the page's limit for an answer.
    await askedOnce;
    await own.clock.fastForward('00:10');
    await own.waitForSelector('#banner', { state: 'visible', timeout: 10_000 });
    await expect(own.locator('#health').textContent()).resolves.toBe('UNREACHABLE');
    expect(await own.locator('#banner').textContent()).toBe(
      'Cannot read the bridge status: /admin/status did not answer within 5 s',
    );
    expect(held.length).toBeGreaterThan(0);
    await own.close();
  }, 30_000);

  it('says so plainly when the bridge stops answering', async () => {
    await bridge.close();
    await page.clock.fastForward(NEXT_REFRESH);
    await page.waitForSelector('#banner', { state: 'visible', timeout: 10_000 });
    await expect(page.locator('#health').textContent()).resolves.toBe('UNREACHABLE');
    expect(await page.locator('#banner').textContent()).toMatch(/^Cannot read the bridge status: /);
  }, 30_000);
});
