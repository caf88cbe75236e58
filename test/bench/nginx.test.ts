import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNginxPeer } from '../../bench/nginx.js';
import { type Running, startCountingMiddleware } from '../../bench/processes.js';

type Middleware = Awaited<ReturnType<typeof startCountingMiddleware>>;

const VIEWER = { 'x-real-ip': '203.0.113.7', 'x-real-path': '/tv/a001/index.m3u8' };

describe("the bench's nginx peer (auth_request + proxy_cache)", () => {
  let middleware: Middleware;
  let nginx: Running;
  const check = async (query: string, headers: Record<string, string> = VIEWER) =>
    (await fetch(`${nginx.url}/auth?${query}`, { headers })).status;

  beforeAll(async () => {
    middleware = await startCountingMiddleware();
    nginx = await startNginxPeer(middleware.url);
  });
  afterAll(async () => {
    await nginx?.stop();
    await middleware?.stop();
  });

  it('answers a repeated check from its cache, keyed as the bridge keys it: the whole query, the IP, the channel', async () => {
    await middleware.reset();
    expect(await check('token=a')).toBe(200);
    expect(await check('token=a')).toBe(200);
    expect(await middleware.count()).toBe(1);
    expect(await check('token=a', { ...VIEWER, 'x-real-ip': '198.51.100.9' })).toBe(200);
    expect(await check('token=a&sid=2')).toBe(200);
    expect(await check('token=a', { ...VIEWER, 'x-real-path': '/tv/b002/index.m3u8' })).toBe(200);
    expect(await middleware.count()).toBe(4);
  });

  it("passes the middleware's deny on and keeps it", async () => {
    await middleware.reset();
    expect(await check('token=deny-me')).toBe(403);
    expect(await check('token=deny-me')).toBe(403);
    expect(await middleware.count()).toBe(1);
  });
});

describe("the bench's nginx peer in front of a slow middleware", () => {
  let middleware: Middleware;
  let nginx: Running;

  beforeAll(async () => {
    middleware = await startCountingMiddleware(200);
    nginx = await startNginxPeer(middleware.url);
  });
  afterAll(async () => {
    await nginx?.stop();
    await middleware?.stop();
  });

  it('merges identical concurrent misses into one middleware request (proxy_cache_lock)', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => (await fetch(`${nginx.url}/auth?token=zap`, { headers: VIEWER })).status),
    );
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
    expect(await middleware.count()).toBe(1);
  });
});
