import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBridge, type TestBridge } from '../../support/bridge.js';
import { useReplayedMiddleware } from '../../support/replayedMiddleware.js';

const middleware = useReplayedMiddleware([
  { request: { path: '/check', query: { token: 'viewer-token' } }, response: { status: 200 } },
]);
let bridge: TestBridge;

beforeAll(async () => {
  bridge = testBridge({
    backends: { mw: { type: 'http', url: `${middleware.url}/check` } },
    routes: { default: { backends: ['mw'], publish: 'check' } },
  });
});
afterAll(async () => {
  await bridge.close();
});

const srs = (action: string) =>
  request(bridge.app)
    .post('/srs')
    .set('Content-Type', 'application/json')
    .send(
      JSON.stringify({
        action,
        client_id: 'c1',
        ip: '203.0.113.7',
        app: 'live',
        stream: 'a001',
        param: '?token=viewer-token',
      }),
    );

describe('publish: check', () => {
  it('runs the normal order, but never answers a publish from a cached viewing allow', async () => {
    await srs('on_play').expect(200, '0');
    await srs('on_play').expect(200, '0');
    expect(middleware.received).toHaveLength(1);
    await srs('on_publish').expect(200, '0');
    expect(middleware.received).toHaveLength(2);
    await srs('on_publish').expect(200, '0');
    expect(middleware.received).toHaveLength(2);
    expect(bridge.logs.filter((line) => line.includes('"decision":"allow"'))).toHaveLength(4);
  });
});
