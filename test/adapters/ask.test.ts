import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiddlewareClient } from '../../src/adapters/transport.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { adapterFrom, astraViewer, check } from './support.js';

let middleware: ReplayServer;
const client = new MiddlewareClient();

beforeAll(async () => {
  middleware = await startReplayServer([
    {
      request: { path: '/auth', query: { token: 'renew' } },
      response: { status: 302, headers: { Location: 'http://portal.example.com/renew' } },
    },
    { request: { path: '/auth' }, response: { status: 403, headers: { 'X-Location': 'http://promo.example.com/' } } },
  ]);
});
afterAll(async () => {
  await client.close();
  await middleware.close();
});

describe('redirect: deny|allow for Flussonic-style backends', () => {
  const backend = (redirect?: string) =>
    adapterFrom({ type: 'flussonic', url: `${middleware.url}/auth`, ...(redirect ? { redirect } : {}) }, client);

  it('deny (the default): a 302 is a deny carrying its Location', async () => {
    expect(await check(backend(), astraViewer('renew'))).toMatchObject({
      outcome: 'deny',
      info: { redirect: 'http://portal.example.com/renew' },
    });
  });

  it('allow: a 302 grants, as old Flussonic did, and carries no redirect', async () => {
    const verdict = await check(backend('allow'), astraViewer('renew'));
    expect(verdict).toMatchObject({ outcome: 'allow' });
    expect(verdict.outcome === 'allow' && verdict.info.redirect).toBeUndefined();
  });

  it('allow changes nothing for a 4xx', async () => {
    expect(await check(backend('allow'), astraViewer('other'))).toMatchObject({
      outcome: 'deny',
      info: { redirect: 'http://promo.example.com/' },
    });
  });
});
