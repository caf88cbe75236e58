import { afterAll, describe, expect, it, vi } from 'vitest';
import { backendSource } from '../../../src/pipeline/decision.js';
import { cacheStep } from '../../../src/pipeline/steps/cache.js';
import type { Check } from '../../../src/pipeline/types.js';
import { checkOf, nextAnswering, routeContext } from '../../support/routeContext.js';

// The pipeline makes one check for the immediate look-up and another for the waiting way, both of
// the same viewer request: the cache step digests that request's key once, not once per check.
const context = routeContext({ backends: { mw: { type: 'http', url: 'http://127.0.0.1:9/check' } } });
afterAll(() => context.close());

function stepWithCountedKeys() {
  const keyOf = vi.fn((route: string, viewer: { token?: string }) => `${route}:${viewer.token}`);
  const mw = backendSource('mw');
  const step = cacheStep({
    settings: context.config.cache,
    store: context.store,
    keyOf,
    sources: new Map([['mw', mw]]),
    budgetMs: 1000,
    now: () => Date.now(),
  });
  return { step, keyOf, mw };
}

/** A second check of the same viewer request, as the waiting way makes after the immediate one. */
const againFor = (check: Check): Check => ({ ...check });

describe('cache step keys per viewer request', () => {
  it('makes the key of a miss once when the waiting way comes with a check of its own', async () => {
    const { step, keyOf, mw } = stepWithCountedKeys();
    const first = checkOf({ token: 'viewer-key-token' });
    expect(step.now!(first, () => undefined)).toBeUndefined();
    const next = nextAnswering({ allow: true, source: mw });
    const answer = await step(againFor(first), next);
    expect(answer.allow).toBe(true);
    expect(next.calls).toBe(1);
    expect(keyOf).toHaveBeenCalledTimes(1);
  });

  it('makes the key again for another request of the same viewer, and finds what the first stored', async () => {
    const { step, keyOf, mw } = stepWithCountedKeys();
    const next = nextAnswering({ allow: true, source: mw });
    await step(checkOf({ token: 'repeat-token' }), next);
    await vi.waitFor(() => expect(context.store.getNow?.('default:repeat-token')).toBeDefined());
    const hit = step.now!(checkOf({ token: 'repeat-token' }), () => undefined);
    expect(hit?.cache).toBe('hit');
    expect(keyOf).toHaveBeenCalledTimes(2);
    expect(keyOf).toHaveBeenLastCalledWith('default', expect.objectContaining({ token: 'repeat-token' }));
  });

  it('never answers one request with the key of the request before it', async () => {
    const { step, keyOf, mw } = stepWithCountedKeys();
    const next = nextAnswering({ allow: false, source: mw });
    await step(checkOf({ token: 'one-token' }), next);
    await step(checkOf({ token: 'other-token' }), next);
    expect(keyOf.mock.calls.map(([, viewer]) => viewer.token)).toEqual(['one-token', 'other-token']);
    expect(next.calls).toBe(2);
  });
});
