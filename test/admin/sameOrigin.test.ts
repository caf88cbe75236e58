import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminActions } from '../../src/admin/actions.js';
import { traceCheck } from '../../src/trace/trace.js';
import { startOperatedBridge, type OperatedBridge } from '../support/operations.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';
import { listedSessions, session } from '../support/views.js';
import { launchChromium, type Chromium } from './chromium.js';

/** The browser's own `fetch` and `location`, used inside pages (the project's types have no DOM). */
declare const location: { readonly origin: string };

const TOKEN = 'origin-admin-token-0123456789';
/** The name a DNS-rebinding page is served under; the browser resolves it to loopback (see the launch flags). */
const REBOUND = 'rebind.attacker.example';

let middleware: ReplayServer;
/** The shipped example's default: no admin token. */
let open: OperatedBridge;
/** With a token, and one name allowed besides IP literals and localhost. */
let guarded: OperatedBridge;
/** What the actions were asked to do: a refused request must never reach them. */
const done = { open: [] as string[], guarded: [] as string[] };
/** A page on another origin: it serves any path with an empty page to run fetches from. */
let elsewhere: Server;
let elsewherePort: number;
let chromium: Chromium;
let browser: BrowserContext;

function countingActions(into: string[]) {
  return (operated: () => OperatedBridge): AdminActions => ({
    reload: async () => {
      into.push('reload');
      const at = new Date().toISOString();
      return { result: 'ok', trigger: 'admin', file: operated().configFile, at, restartNeeded: [], problems: [] };
    },
    flush: async (route) => {
      into.push('flush');
      return { flushed: route ?? 'all' };
    },
    revoke: async (target) => {
      into.push('revoke');
      return { revoked: target };
    },
    // As serve traces: the configured pipeline, live against the middleware.
    trace: (route, query, headers) => traceCheck(operated().config, route, { dialect: 'cesbo', query, headers }),
  });
}

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
  const backends = { check: { type: 'http', url: `${middleware.url}/auth/check` } };
  const sessions = listedSessions([session({ session: '1', user: 'alice', ip: '203.0.113.9' })]);
  open = await startOperatedBridge({ backends }, { actions: countingActions(done.open), sessions });
  guarded = await startOperatedBridge(
    { backends, admin: { token: TOKEN, hosts: ['Bridge.Example.NET'] } },
    { actions: countingActions(done.guarded), sessions },
  );
  elsewhere = createServer((_req, res) =>
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>another site</title>'),
  );
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  elsewherePort = (elsewhere.address() as AddressInfo).port;
}, 30_000);

afterAll(async () => {
  await chromium?.close();
  await new Promise((resolve) => elsewhere?.close(resolve));
  await open?.close();
  await guarded?.close();
  await middleware?.close();
});

const portOf = (bridge: OperatedBridge) => Number(new URL(bridge.admin).port);

/** One request with exactly these headers (Host among them), as a browser or curl would send it. */
function ask(
  bridge: OperatedBridge,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: portOf(bridge), path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const errorOf = (body: string) => (JSON.parse(body) as { error: string }).error;

describe('requests from other sites (real HTTP requests with the headers browsers send)', () => {
  it.each([
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }, /another site \(Sec-Fetch-Site: cross-site\)/],
    ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }, /another site \(Sec-Fetch-Site: same-site\)/],
    ['an Origin of another host', { Origin: 'http://localhost:18600' }, /another origin/],
    ['an Origin of another port on the same address', { Origin: 'http://127.0.0.1:18600' }, /another origin/],
    ['an opaque Origin (a sandboxed page)', { Origin: 'null' }, /another origin/],
    ['two Origins', { Origin: 'http://127.0.0.1, http://localhost:18600' }, /another origin/],
  ])('POST /admin/reload with %s answers 403 naming why, and reloads nothing', async (_what, headers, why) => {
    const res = await ask(open, '/admin/reload', { method: 'POST', headers });
    expect(res.status).toBe(403);
    expect(errorOf(res.body)).toMatch(why);
    expect(done.open).toEqual([]);
    expect(open.logs.at(-1)).toContain('admin request refused');
  });

  it('refuses a cross-site trace before the middleware hears of the token', async () => {
    const res = await ask(open, '/admin/trace?route=default&token=good-PROBE', {
      headers: { 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(res.status).toBe(403);
    expect(middleware.received.some((r) => r.rawQuery.includes('good-PROBE'))).toBe(false);
    // The refusal is logged by path: the viewer's query (its token) is not written down.
    expect(open.logs.join('\n')).not.toContain('good-PROBE');
  });

  it('refuses a page on the same site that holds the cookie', async () => {
    const exchanged = await fetch(`${guarded.admin}/?token=${TOKEN}`, { redirect: 'manual' });
    const value = exchanged.headers.get('set-cookie')!.split(';')[0]!;
    const res = await ask(guarded, '/admin/cache/flush', {
      method: 'POST',
      headers: { Cookie: value, 'Sec-Fetch-Site': 'same-site', Origin: `http://127.0.0.1:${elsewherePort}` },
    });
    expect(res.status).toBe(403);
    expect(done.guarded).toEqual([]);
    // The same cookie from the page itself is taken.
    const own = await ask(guarded, '/admin/cache/flush', {
      method: 'POST',
      headers: { Cookie: value, 'Sec-Fetch-Site': 'same-origin', Origin: guarded.admin },
    });
    expect(own.status).toBe(200);
    expect(done.guarded).toEqual(['flush']);
    done.guarded.length = 0;
  });

  it.each([
    ['curl (no Origin, no Sec-Fetch-*)', {}],
    ['the page itself', () => ({ 'Sec-Fetch-Site': 'same-origin', Origin: open.admin })],
    ['an address typed or bookmarked', { 'Sec-Fetch-Site': 'none' }],
  ])('takes POST /admin/reload from %s', async (_what, headers) => {
    const res = await ask(open, '/admin/reload', {
      method: 'POST',
      headers: typeof headers === 'function' ? headers() : headers,
    });
    expect(res.status).toBe(200);
    expect(done.open).toEqual(['reload']);
    done.open.length = 0;
  });
});

describe('the Host a request names (DNS rebinding)', () => {
  it.each([
    REBOUND,
    `${REBOUND}:8089`,
    'localhost.attacker.example',
    '127.0.0.1.attacker.example',
    'localhost.',
    '0x7f.0.0.1',
  ])('refuses Host %s with 403 naming admin.hosts', async (host) => {
    const res = await ask(open, '/admin/sessions', { headers: { Host: host } });
    expect(res.status).toBe(403);
    expect(errorOf(res.body)).toMatch(
      /^refused: Host ".+" is not an IP address, localhost or a name listed in admin\.hosts$/,
    );
    expect(res.body).not.toContain('alice');
  });

  it.each(['a b', 'bridge.example.net:port', '[::1', '[not:an:ip]:80', 'user@127.0.0.1'])(
    'refuses a malformed Host %j',
    async (host) => {
      const res = await ask(open, '/admin/status', { headers: { Host: host } });
      expect(res.status).toBe(403);
      expect(errorOf(res.body)).toBe('refused: a malformed Host');
    },
  );

  it.each(['127.0.0.1', '127.0.0.1:8089', 'localhost', 'LocalHost:8089', '[::1]:8089', '10.0.0.5:8089'])(
    'takes Host %s',
    async (host) => {
      expect((await ask(open, '/admin/sessions', { headers: { Host: host } })).status).toBe(200);
    },
  );

  it.each([
    ['[::1]:8089', 'http://[::1]:8089'],
    ['[0:0::1]:8089', 'http://[::1]:8089'],
    ['127.0.0.1', 'http://127.0.0.1'],
    ['127.0.0.1:80', 'http://127.0.0.1'],
  ])('takes a POST reached as %s from the page at %s', async (host, origin) => {
    const res = await ask(open, '/admin/cache/flush', { method: 'POST', headers: { Host: host, Origin: origin } });
    expect(res.status).toBe(200);
    expect(done.open).toEqual(['flush']);
    done.open.length = 0;
  });

  it('takes a name listed in admin.hosts, whatever its case, and an Origin of that name', async () => {
    const bearer = { Authorization: `Bearer ${TOKEN}` };
    expect(
      (await ask(guarded, '/admin/status', { headers: { ...bearer, Host: 'BRIDGE.example.net:8089' } })).status,
    ).toBe(200);
    const fromPage = { ...bearer, Host: 'bridge.example.net:8089', Origin: 'http://bridge.example.net:8089' };
    expect((await ask(guarded, '/admin/cache/flush', { method: 'POST', headers: fromPage })).status).toBe(200);
    // Behind a TLS proxy that passes the name on: the page is https://name, the Host the name alone.
    const proxied = { ...bearer, Host: 'bridge.example.net', Origin: 'https://bridge.example.net' };
    expect((await ask(guarded, '/admin/cache/flush', { method: 'POST', headers: proxied })).status).toBe(200);
    const otherPort = { ...bearer, Host: 'bridge.example.net', Origin: 'http://bridge.example.net:8080' };
    expect((await ask(guarded, '/admin/cache/flush', { method: 'POST', headers: otherPort })).status).toBe(403);
    expect(done.guarded).toEqual(['flush', 'flush']);
    done.guarded.length = 0;
    // Only in the bridge that lists it.
    expect((await ask(open, '/admin/status', { headers: { Host: 'bridge.example.net' } })).status).toBe(403);
  });

  it('answers /metrics and /ready whatever the Host (they need no token), but not to another site', async () => {
    expect((await ask(open, '/metrics', { headers: { Host: 'prometheus-target.internal:8089' } })).status).toBe(200);
    expect((await ask(open, '/ready', { headers: { Host: REBOUND } })).status).toBe(200);
    expect((await ask(open, '/metrics', { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(403);
  });
});

describe('in Chromium', () => {
  beforeAll(async () => {
    // A rebinding attacker's name, answered with loopback by the browser itself: no DNS is asked.
    chromium = await launchChromium({ args: [`--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`] });
    browser = chromium.context;
  }, 60_000);

  /** Runs the reviewer's fetches from a page at `pageUrl`, and resolves once every answer has come. */
  async function fetchesFrom(pageUrl: string, admin: string): Promise<void> {
    const page = await browser.newPage();
    await page.goto(pageUrl);
    await page.evaluate(async (target) => {
      await fetch(`${target}/admin/reload`, { method: 'POST', mode: 'no-cors', credentials: 'include' });
      await fetch(`${target}/admin/cache/flush`, {
        method: 'POST',
        mode: 'no-cors',
        credentials: 'include',
        body: '{}',
      });
      await fetch(`${target}/admin/trace?route=default&token=good-PROBE`, { mode: 'no-cors', credentials: 'include' });
    }, admin);
    await page.close();
  }

  const refusals = (bridge: OperatedBridge) =>
    bridge.logs
      .filter((line) => line.includes('admin request refused'))
      .map((line) => JSON.parse(line) as { path: string; reason: string });

  it('a page on another site (localhost, another port) can neither reload, flush nor trace', async () => {
    const before = refusals(open).length;
    await fetchesFrom(`http://localhost:${elsewherePort}/`, open.admin);
    expect(done.open).toEqual([]);
    expect(middleware.received.some((r) => r.rawQuery.includes('good-PROBE'))).toBe(false);
    // The browser's requests did reach the listener, and were refused there.
    expect(refusals(open).slice(before)).toEqual(
      ['/admin/reload', '/admin/cache/flush', '/admin/trace'].map((path) =>
        expect.objectContaining({ path, reason: expect.stringContaining('Sec-Fetch-Site: cross-site') }),
      ),
    );
  }, 30_000);

  it('the status page works and its own POST is taken, while a same-site page with its cookie is refused', async () => {
    const page = await browser.newPage();
    await page.goto(`${guarded.admin}/?token=${TOKEN}`);
    await page.waitForSelector('body[data-updated]');
    await expect(page.locator('#sessions td').first().textContent()).resolves.toBe('alice');
    const flushed = await page.evaluate(async () => {
      const res = await fetch('/admin/cache/flush', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"route":"default"}',
      });
      return { status: res.status, body: await res.json() };
    });
    expect(flushed).toEqual({ status: 200, body: { flushed: 'default' } });
    expect(done.guarded).toEqual(['flush']);
    done.guarded.length = 0;
    await page.close();

    // 127.0.0.1 on another port is the same site: SameSite=Strict sends the cookie, the listener refuses.
    const before = refusals(guarded).length;
    await fetchesFrom(`http://127.0.0.1:${elsewherePort}/`, guarded.admin);
    expect(done.guarded).toEqual([]);
    expect(
      refusals(guarded)
        .slice(before)
        .map((r) => r.reason),
    ).toEqual(Array(3).fill(expect.stringContaining('Sec-Fetch-Site: same-site')));
  }, 30_000);

  it('a page rebound to the listener reads nothing, though it is the same origin', async () => {
    const page = await browser.newPage();
    const landing = await page.goto(`http://${REBOUND}:${portOf(open)}/`);
    expect(landing?.status()).toBe(403);
    const read = await page.evaluate(async () => {
      const res = await fetch('/admin/sessions');
      return { origin: location.origin, status: res.status, body: await res.text() };
    });
    await page.close();
    expect(read.origin).toBe(`http://${REBOUND}:${portOf(open)}`);
    expect(read.status).toBe(403);
    expect(read.body).not.toContain('alice');
    expect(errorOf(read.body)).toMatch(/admin\.hosts/);
  }, 30_000);
});
