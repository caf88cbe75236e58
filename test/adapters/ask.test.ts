import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiddlewareClient } from '../../src/adapters/transport.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { withCircuitBreaker } from '../../src/resilience/circuitBreaker.js';
import { endpointAdapter } from '../../src/adapters/ask.js';
import { askCesbo } from '../../src/protocols/cesbo.js';
import { adapterFrom, astraViewer, check } from './support.js';

let middleware: ReplayServer;
const client = new MiddlewareClient();

beforeAll(async () => {
  middleware = await startReplayServer([
    {
      request: { path: '/auth', query: { token: 'renew' } },
      response: { status: 302, headers: { Location: 'http://portal.example.com/renew' } },
    },
    { request: { path: '/hang' }, response: { hang: true } },
    { request: { path: '/body' }, response: { status: 200, headers: { 'X-UserId': 'u1' }, body: '{"ok":false}' } },
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

describe("the route's deadline", () => {
  const hanging = (timeoutMs: number) =>
    adapterFrom({ type: 'http', url: `${middleware.url}/hang`, timeoutMs, breaker: { failures: 0 } }, client);

  it('cuts a request short when it comes before the backend timeout: cancelled, not a timeout of the middleware', async () => {
    const started = performance.now();
    const verdict = await hanging(30_000).check(astraViewer('slow'), { deadline: started + 100 });
    expect(verdict).toMatchObject({ outcome: 'error', error: 'cancelled', detail: expect.stringContaining('budget') });
    // Generous bound: proves the 30 s timeout was not waited for, without timing the machine.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('leaves the backend timeout in force when that comes first', async () => {
    const verdict = await hanging(100).check(astraViewer('slow'), { deadline: performance.now() + 30_000 });
    expect(verdict).toMatchObject({ outcome: 'error', error: 'timeout' });
  });

  it('once passed, answers at once without sending anything', async () => {
    const before = middleware.received.length;
    const verdict = await hanging(30_000).check(astraViewer('late'), { deadline: performance.now() - 1 });
    expect(verdict).toMatchObject({ outcome: 'error', error: 'cancelled' });
    expect(middleware.received.length).toBe(before);
  });

  it('is not counted against the circuit breaker', async () => {
    const guarded = withCircuitBreaker(hanging(30_000), { failures: 1, cooldown: 600 });
    await guarded.check(astraViewer('slow'), { deadline: performance.now() + 50 });
    expect(guarded.circuit()).toBe('closed');
  });
});

describe('readBody: a middleware whose body decides', () => {
  const bodyReader = (readBody: NonNullable<Parameters<typeof endpointAdapter>[3]['readBody']>) =>
    endpointAdapter('body-decides', `${middleware.url}/body`, askCesbo, { timeoutMs: 2000, readBody }, client);

  it('is given the verdict of the status and headers and the kept body, and its verdict is the answer', async () => {
    const verdict = await check(
      bodyReader((headed, answer) => {
        expect(headed).toMatchObject({ outcome: 'allow', info: { userId: 'u1' } });
        if (headed.outcome !== 'allow' || answer.body.toString() !== '{"ok":false}') return headed;
        return { ...headed, outcome: 'deny' };
      }),
      astraViewer('any'),
    );
    expect(verdict).toMatchObject({ outcome: 'deny', info: { userId: 'u1' } });
  });

  it('that throws gives an internal error, never an allow', async () => {
    const verdict = await check(
      bodyReader(() => {
        throw new TypeError('unreadable');
      }),
      astraViewer('any'),
    );
    expect(verdict).toMatchObject({ outcome: 'error', error: 'internal' });
  });
});
