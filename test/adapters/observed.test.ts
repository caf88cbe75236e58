import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../src/adapters/factory.js';
import { observedAdapter } from '../../src/adapters/observed.js';
import { MiddlewareClient } from '../../src/adapters/transport.js';
import { validateConfig } from '../../src/config/load.js';
import type { BackendAsked } from '../../src/observe.js';
import { withCircuitBreaker } from '../../src/resilience/circuitBreaker.js';
import { astraViewer } from './support.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

let middleware: ReplayServer;
const client = new MiddlewareClient();

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
});

afterAll(async () => {
  await client.close();
  await middleware.close();
});

const viewer = (token: string) => astraViewer(token);

function observed(backend: Record<string, unknown>, seen: BackendAsked[]) {
  const config = validateConfig(
    { backends: { mw: { type: 'http', url: `${middleware.url}/auth/check`, timeoutMs: 300, ...backend } } },
    'test config',
    {},
  );
  const guarded = withCircuitBreaker(createAdapter('mw', config.backends.mw!, client), config.backends.mw!.breaker);
  return observedAdapter(guarded, { backendAsked: (event) => seen.push(event) });
}

describe('observedAdapter', () => {
  it.each([
    ['good-token', 'allow'],
    ['bad-token', 'deny'],
    ['gateway-token', 'server-error'],
    ['crash-token', 'server-error'],
    ['hang-token', 'timeout'],
    ['reset-token', 'reset'],
    ['huge-token', 'bad-answer'],
  ])('reports a real middleware answering %s as %s, with its duration', async (token, outcome) => {
    const seen: BackendAsked[] = [];
    const adapter = observed({ breaker: { failures: 0 } }, seen);
    await adapter.check(viewer(token), { deadline: Infinity });
    expect(seen).toEqual([{ backend: 'mw', outcome, durationMs: expect.any(Number) }]);
    if (outcome === 'timeout') expect(seen[0]!.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('reports a request skipped by an open circuit as circuit-open, and keeps the circuit readable', async () => {
    const seen: BackendAsked[] = [];
    const adapter = observed({ breaker: { failures: 1, cooldown: 600 } }, seen);
    await adapter.check(viewer('crash-token'), { deadline: Infinity });
    expect(adapter.circuit()).toBe('open');
    await adapter.check(viewer('good-token'), { deadline: Infinity });
    expect(seen.map((e) => e.outcome)).toEqual(['server-error', 'circuit-open']);
  });

  it('reports nothing for a request cancelled because it was no longer needed', async () => {
    const seen: BackendAsked[] = [];
    const adapter = observed({ timeoutMs: 5000, breaker: { failures: 0 } }, seen);
    const cancel = new AbortController();
    const checking = adapter.check(viewer('hang-token'), { deadline: Infinity, signal: cancel.signal });
    cancel.abort();
    expect(await checking).toMatchObject({ outcome: 'error', error: 'cancelled' });
    expect(seen).toEqual([]);
  });

  it('reports a request the route budget cut off as a timeout, though its breaker does not count it; one not asked, nothing', async () => {
    const seen: BackendAsked[] = [];
    const adapter = observed({ timeoutMs: 5000, breaker: { failures: 1, cooldown: 600 } }, seen);
    const cut = await adapter.check(viewer('hang-token'), { deadline: performance.now() + 100 });
    expect(cut).toMatchObject({ outcome: 'error', error: 'cancelled' });
    expect(seen).toEqual([{ backend: 'mw', outcome: 'timeout', durationMs: expect.any(Number) }]);
    expect(adapter.circuit()).toBe('closed');

    await adapter.check(viewer('hang-token'), { deadline: performance.now() - 1 });
    expect(seen).toHaveLength(1);
  });

  it('is the adapter itself when nobody watches backends, and survives an observer that throws', async () => {
    const config = validateConfig(
      { backends: { mw: { type: 'http', url: `${middleware.url}/auth/check` } } },
      'test config',
      {},
    );
    const plain = createAdapter('mw', config.backends.mw!, client);
    expect(observedAdapter(plain, {})).toBe(plain);
    const throwing = observedAdapter(plain, {
      backendAsked: () => {
        throw new Error('broken observer');
      },
    });
    expect(await throwing.check(viewer('good-token'), { deadline: Infinity })).toMatchObject({
      outcome: 'allow',
    });
  });
});
