/**
 * Section 3: 1,000 concurrent identical misses, on one bridge (memory store)
 * and spread over three bridges sharing one Redis: how many reach the
 * middleware (a 300 ms one, so that all of them are in flight together).
 */
import { Pool } from 'undici';
import { startRedis } from '../test/support/redisServer.js';
import { type Bridge, startBridge, startBridgeIfSupported, startCountingMiddleware } from './processes.js';
import type { Section } from './report.js';
import { BRIDGE_BASE, backendLines, VIEWER } from './settings.js';

const VIEWERS = 1000;

/** `VIEWERS` identical checks at once, dealt round-robin over the bridges; resolves with how many were allowed. */
async function burst(urls: readonly string[], token: string): Promise<number> {
  const pools = urls.map((url) => new Pool(url, { connections: Math.ceil(VIEWERS / urls.length) }));
  const statuses = await Promise.all(
    Array.from({ length: VIEWERS }, async (_, i) => {
      const { statusCode, body } = await pools[i % pools.length]!.request({
        method: 'GET',
        path: `/auth?token=${token}`,
        headers: VIEWER,
      });
      await body.dump();
      return statusCode;
    }),
  );
  await Promise.all(pools.map((pool) => pool.close()));
  return statuses.filter((status) => status === 200).length;
}

export async function coalescing(): Promise<Section> {
  const middleware = await startCountingMiddleware(300);
  const bridge = await startBridge([...BRIDGE_BASE, ...backendLines(middleware.url)]);
  const allowedAlone = await burst([bridge.url], 'zap-token');
  const askedAlone = await middleware.count();
  await bridge.stop();

  await middleware.reset();
  const redis = await startRedis();
  const shared = [...BRIDGE_BASE, `cache: {store: redis, redisUrl: "${redis.url}"}`, ...backendLines(middleware.url)];
  const bridges = [];
  for (let i = 0; i < 3; i++) bridges.push(await startBridgeIfSupported(shared));
  const running = bridges.filter((b): b is Bridge => !('refused' in b));
  let spread: { asked: number; allowed: number } | undefined;
  if (running.length === 3) {
    const allowed = await burst(
      running.map((b) => b.url),
      'zap-token-shared',
    );
    spread = { asked: await middleware.count(), allowed };
  }
  await Promise.all([...running.map((b) => b.stop()), middleware.stop(), redis.stop()]);
  return {
    lines: [
      `3. ${VIEWERS.toLocaleString('en')} concurrent identical misses → ${askedAlone} middleware request(s); ${allowedAlone}/${VIEWERS} viewers allowed (target: exactly 1)`,
      spread === undefined
        ? `   over 3 bridges on one Redis: n/a (${bridges.map((b) => ('refused' in b ? b.refused : 'started')).join('; ')})`
        : `   the same spread over 3 bridges on one Redis → ${spread.asked} middleware request(s); ${spread.allowed}/${VIEWERS} viewers allowed (target: 1)`,
    ],
    targets: [
      {
        figure: `${VIEWERS} identical misses, one bridge`,
        measured: `${askedAlone} middleware call(s)`,
        target: '1',
        met: askedAlone === 1,
      },
      {
        figure: `${VIEWERS} identical misses over 3 bridges, one Redis`,
        measured: spread === undefined ? 'n/a' : `${spread.asked} middleware call(s)`,
        target: '1',
        met: spread === undefined ? undefined : spread.asked === 1,
      },
    ],
  };
}
