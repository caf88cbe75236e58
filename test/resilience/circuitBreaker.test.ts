import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { BackendVerdict, MiddlewareAdapter } from '../../src/adapters/types.js';
import { type CircuitChange, withCircuitBreaker } from '../../src/resilience/circuitBreaker.js';
import type { ViewerRequest } from '../../src/viewer.js';
import { closedPort } from '../../src/replay/server.js';
import { testBridge } from '../support/bridge.js';
import { checkAsAstra, useCesboBridges } from '../support/cesboBridges.js';
import { ManualClock } from '../support/manualClock.js';
import { useReplayedMiddleware } from '../support/replayedMiddleware.js';

const ALLOW: BackendVerdict = { outcome: 'allow', info: {}, notes: [] };
const DENY: BackendVerdict = { outcome: 'deny', info: {}, notes: [] };
const UNASKED_DENY: BackendVerdict = { outcome: 'deny', info: {}, notes: [], unasked: true };
const FAILED: BackendVerdict = { outcome: 'error', error: 'server-error', detail: 'HTTP 500' };
const CANCELLED: BackendVerdict = { outcome: 'error', error: 'cancelled', detail: 'another backend allowed first' };

const viewer: ViewerRequest = { dialect: 'cesbo', rawQuery: '', ip: '203.0.113.1' };
const limits = { deadline: Infinity };

/** A middleware whose every answer is the one `answer` holds when asked; counts what reached it. */
function scripted() {
  const backend = {
    answer: ALLOW,
    asked: 0,
    /** When set, checks wait for `release` (a probe still under way). */
    held: undefined as Promise<void> | undefined,
  };
  const adapter: MiddlewareAdapter = {
    name: 'mw',
    async check() {
      backend.asked += 1;
      const answer = backend.answer;
      await backend.held;
      return answer;
    },
  };
  return { backend, adapter };
}

function breaker(failures: number, cooldown: number) {
  const clock = new ManualClock();
  const changes: CircuitChange[] = [];
  const { backend, adapter } = scripted();
  const guarded = withCircuitBreaker(adapter, { failures, cooldown }, { clock, onChange: (c) => changes.push(c) });
  const check = () => guarded.check(viewer, limits);
  return { clock, changes, backend, guarded, check };
}

describe('withCircuitBreaker', () => {
  it('opens after `failures` errors in a row and then skips the backend without asking it', async () => {
    const { backend, guarded, check, changes } = breaker(2, 60);
    backend.answer = FAILED;
    await check();
    expect(guarded.circuit()).toBe('closed');
    await check();
    expect(guarded.circuit()).toBe('open');
    expect(await check()).toMatchObject({ outcome: 'error', error: 'circuit-open' });
    expect(backend.asked).toBe(2);
    expect(changes).toEqual([
      { backend: 'mw', state: 'open', failures: 2, cooldownSeconds: 60, reason: 'server-error' },
    ]);
  });

  it('is half-open once the cool-down has passed, on the clock it was given', async () => {
    const { backend, guarded, check, clock } = breaker(1, 30);
    backend.answer = FAILED;
    await check();
    clock.advance(29_999);
    expect(guarded.circuit()).toBe('open');
    clock.advance(1);
    expect(guarded.circuit()).toBe('half-open');
  });

  it('lets one probe through after the cool-down: a failure opens it for another cool-down', async () => {
    const { backend, guarded, check, clock, changes } = breaker(1, 30);
    backend.answer = FAILED;
    await check();
    clock.advance(30_000);
    await check();
    expect(backend.asked).toBe(2);
    expect(guarded.circuit()).toBe('open');
    clock.advance(29_000);
    expect(await check()).toMatchObject({ error: 'circuit-open' });
    expect(changes.map((c) => c.state)).toEqual(['open', 'open']);
  });

  it('closes on a successful probe, and says so once', async () => {
    const { backend, guarded, check, clock, changes } = breaker(1, 30);
    backend.answer = FAILED;
    await check();
    clock.advance(30_000);
    backend.answer = DENY;
    expect(await check()).toBe(DENY);
    expect(guarded.circuit()).toBe('closed');
    await check();
    expect(backend.asked).toBe(3);
    expect(changes.map((c) => c.state)).toEqual(['open', 'closed']);
  });

  it('skips every other check while the probe is under way', async () => {
    const { backend, guarded, check, clock } = breaker(1, 30);
    backend.answer = FAILED;
    await check();
    clock.advance(30_000);
    backend.answer = ALLOW;
    let release!: () => void;
    backend.held = new Promise((resolve) => {
      release = resolve;
    });
    const probe = check();
    expect(await check()).toMatchObject({ error: 'circuit-open' });
    release();
    expect(await probe).toBe(ALLOW);
    expect(guarded.circuit()).toBe('closed');
    expect(backend.asked).toBe(2);
  });

  it('counts an answer (allow or deny) as success: failures must come in a row', async () => {
    const { backend, guarded, check } = breaker(2, 60);
    for (const answer of [FAILED, DENY, FAILED, ALLOW, FAILED]) {
      backend.answer = answer;
      await check();
    }
    expect(guarded.circuit()).toBe('closed');
  });

  it('counts neither a cancelled check nor an answer given without asking the middleware', async () => {
    const { backend, guarded, check } = breaker(2, 60);
    for (const answer of [FAILED, CANCELLED, UNASKED_DENY, FAILED]) {
      backend.answer = answer;
      await check();
    }
    expect(guarded.circuit()).toBe('open');
  });

  it('reports one opening however many failing checks were under way when it opened', async () => {
    const { backend, check, changes } = breaker(2, 60);
    backend.answer = FAILED;
    await Promise.all(Array.from({ length: 8 }, () => check()));
    expect(changes).toHaveLength(1);
  });

  it('with failures: 0 never opens', async () => {
    const { backend, guarded, check, changes } = breaker(0, 60);
    backend.answer = FAILED;
    for (let i = 0; i < 8; i++) await check();
    expect(backend.asked).toBe(8);
    expect(guarded.circuit()).toBe('closed');
    expect(changes).toEqual([]);
  });

  it('a probe whose adapter throws leaves the next check free to probe', async () => {
    const clock = new ManualClock();
    let throwing = false;
    const adapter: MiddlewareAdapter = {
      name: 'mw',
      check: () => {
        if (throwing) throw new TypeError('adapter bug');
        return Promise.resolve(FAILED);
      },
    };
    const guarded = withCircuitBreaker(adapter, { failures: 1, cooldown: 10 }, { clock, onChange: () => undefined });
    await guarded.check(viewer, limits);
    expect(guarded.circuit()).toBe('open');
    clock.advance(10_000);
    throwing = true;
    await expect(guarded.check(viewer, limits)).rejects.toThrow('adapter bug');
    throwing = false;
    adapter.check = () => Promise.resolve(ALLOW);
    await expect(guarded.check(viewer, limits)).resolves.toBe(ALLOW);
    expect(guarded.circuit()).toBe('closed');
  });
});

describe('circuit breakers in a bridge: logged, in /healthz, on the bridge clock', () => {
  const middleware = useReplayedMiddleware('http', { perTest: true });
  const clock = new ManualClock();
  const bridgeWith = useCesboBridges(middleware, { clock });

  it('skips a failing backend after `failures` errors in a row, probes it after the cool-down, and closes on success', async () => {
    const bridge = bridgeWith({ backend: { breaker: { failures: 2, cooldown: 1 } }, cache: { enabled: false } });
    await checkAsAstra(bridge, 'crash-token').expect(403);
    await checkAsAstra(bridge, 'crash-token').expect(403);
    expect(middleware.received).toHaveLength(2);

    // Open: decided at once by the default, without a request to the middleware.
    await checkAsAstra(bridge, 'good-token').expect(403);
    expect(middleware.received).toHaveLength(2);
    const open = await request(bridge.app).get('/healthz').expect(200);
    expect(open.body).toMatchObject({ status: 'degraded', backends: { mw: { circuit: 'open' } } });
    expect(bridge.logs.filter((line) => line.includes('backend circuit opened'))).toHaveLength(1);

    // Half-open after the cool-down: nothing is skipped now (the next check probes), so the bridge is not degraded,
    // however long no viewer comes.
    clock.advance(1100);
    const cooled = await request(bridge.app).get('/healthz').expect(200);
    expect(cooled.body).toMatchObject({ status: 'ok', backends: { mw: { circuit: 'half-open' } } });
    // One probe; it fails, so the circuit opens again.
    await checkAsAstra(bridge, 'crash-token').expect(403);
    await checkAsAstra(bridge, 'good-token').expect(403);
    expect(middleware.received).toHaveLength(3);

    // Next probe succeeds: closed, every request goes through again.
    clock.advance(1100);
    await checkAsAstra(bridge, 'good-token').expect(200);
    await checkAsAstra(bridge, 'bad-token').expect(403);
    expect(middleware.received).toHaveLength(5);
    const closed = await request(bridge.app).get('/healthz').expect(200);
    expect(closed.body).toMatchObject({ status: 'ok', backends: { mw: { circuit: 'closed' } } });
  });

  it('logs one opening however many failing checks were under way', async () => {
    const bridge = bridgeWith({ backend: { breaker: { failures: 2, cooldown: 60 } }, cache: { enabled: false } });
    await Promise.all(Array.from({ length: 8 }, (_, i) => checkAsAstra(bridge, 'crash-token', `203.0.113.${i + 1}`)));
    expect(bridge.logs.filter((line) => line.includes('backend circuit opened'))).toHaveLength(1);
  });

  it('counts a deny as a working backend', async () => {
    const bridge = bridgeWith({ backend: { breaker: { failures: 2, cooldown: 60 } }, cache: { enabled: false } });
    await checkAsAstra(bridge, 'crash-token').expect(403);
    await checkAsAstra(bridge, 'bad-token').expect(403);
    await checkAsAstra(bridge, 'crash-token').expect(403);
    await checkAsAstra(bridge, 'good-token').expect(200);
    expect(middleware.received).toHaveLength(4);
  });

  it('is not reset by checks an adapter decides without asking (Ministra without a token)', async () => {
    const refused = await closedPort();
    const bridge = testBridge({
      cache: { enabled: false },
      backends: {
        portal: {
          type: 'ministra',
          url: `http://127.0.0.1:${refused}/stalker_portal`,
          breaker: { failures: 2, cooldown: 60 },
        },
      },
    });
    onTestFinished(() => bridge.close());
    await checkAsAstra(bridge, 'a'.repeat(32)).expect(403);
    await request(bridge.app).get('/auth').set('X-Real-IP', '203.0.113.1').expect(403);
    await checkAsAstra(bridge, 'b'.repeat(32)).expect(403);
    const health = await request(bridge.app).get('/healthz').expect(200);
    expect(health.body).toMatchObject({ backends: { portal: { circuit: 'open' } } });
  });

  it('with failures: 0 never opens', async () => {
    const bridge = bridgeWith({ backend: { breaker: { failures: 0 } }, cache: { enabled: false } });
    for (let i = 0; i < 8; i++) await checkAsAstra(bridge, 'crash-token').expect(403);
    expect(middleware.received).toHaveLength(8);
  });
});
