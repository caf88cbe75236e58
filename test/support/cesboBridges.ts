import request from 'supertest';
import { afterEach } from 'vitest';
import type { Clock } from '../../src/clock.js';
import type { ReplayServer } from '../../src/replay/server.js';
import { testBridge, type TestBridge } from './bridge.js';

export interface BridgeExtra {
  readonly cache?: object;
  readonly backend?: object;
  readonly route?: object;
}

/**
 * Bridges with one Cesbo-style backend `mw` on `middleware` (its `/auth/check`),
 * each closed after its test; `extra` merges into the config.
 */
export function useCesboBridges(middleware: ReplayServer, options: { readonly clock?: Clock } = {}) {
  const bridges: TestBridge[] = [];
  afterEach(async () => {
    await Promise.all(bridges.splice(0).map((bridge) => bridge.close()));
  });
  return function bridgeWith(extra: BridgeExtra = {}): TestBridge {
    const bridge = testBridge(
      {
        cache: extra.cache ?? {},
        backends: { mw: { type: 'http', url: `${middleware.url}/auth/check`, timeoutMs: 1000, ...extra.backend } },
        routes: { default: { backends: ['mw'], denyRedirect: 'http://promo.example.com/', ...extra.route } },
      },
      { clock: options.clock },
    );
    bridges.push(bridge);
    return bridge;
  };
}

/** A check as Astra asks it: the viewer's token in the query, IP and channel in headers. */
export function checkAsAstra(bridge: TestBridge, token: string, ip = '203.0.113.1', channel = 'a001') {
  return request(bridge.app).get(`/auth?token=${token}`).set('X-Real-IP', ip).set('X-Channel-ID', channel);
}

/** The decision log lines, parsed. */
export function decisionsOf(bridge: TestBridge): Record<string, unknown>[] {
  return bridge.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === 'decision');
}
