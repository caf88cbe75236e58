import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { testBridge } from '../support/bridge.js';

const bridge = testBridge({ routes: { default: { backends: [], default: 'allow' } } });
afterAll(() => bridge.close());

/** The decision lines the bridge wrote while `send` ran. */
async function decisionLines(send: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const before = bridge.logs.length;
  await send();
  return bridge.logs
    .slice(before)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === 'decision');
}

describe('a refused check is logged in its caller’s dialect', () => {
  it('nginx auth_request (X-Original-URI on /auth) refused for bad input or an unknown route', async () => {
    const badIp = await decisionLines(() =>
      request(bridge.app)
        .get('/auth')
        .set({ 'X-Original-URI': '/live/a001?token=t', 'X-Real-IP': '0.0.0.0' })
        // 403, not 400: nginx reads any status but 2xx, 401 and 403 as its own error (a 500 to the viewer).
        .expect(403),
    );
    const longQuery = await decisionLines(() =>
      request(bridge.app)
        .get('/auth')
        .set({ 'X-Original-URI': `/live/a001?token=${'x'.repeat(9000)}` })
        .expect(403),
    );
    const noRoute = await decisionLines(() =>
      request(bridge.app).get('/auth/nowhere').set({ 'X-Original-URI': '/live/a001' }).expect(404),
    );
    for (const lines of [badIp, longQuery, noRoute]) {
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ decision: 'refused', dialect: 'nginx-auth-request' });
    }
  });

  it('Astra on the same path stays cesbo', async () => {
    const lines = await decisionLines(() =>
      request(bridge.app).get('/auth?token=t').set({ 'X-Real-IP': '0.0.0.0' }).expect(400),
    );
    expect(lines).toEqual([expect.objectContaining({ decision: 'refused', dialect: 'cesbo' })]);
  });
});
