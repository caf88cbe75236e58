import { afterAll, describe, expect, it, vi } from 'vitest';
import { backendSource } from '../../../src/pipeline/decision.js';
import { cacheStep } from '../../../src/pipeline/steps/cache.js';
import { checkOf, nextAnswering, stepInputsFrom } from '../../support/stepInputs.js';

// The cache step on its own: how often it makes a check's key (a digest per call in the bridge), once
// per viewer request though the pipeline looks a miss up through two checks.
const context = stepInputsFrom({ backends: { mw: { type: 'http', url: 'http://127.0.0.1:9/check' } } });
afterAll(() => context.close());

function stepWithCountedKeys() {
  const keyOf = vi.fn((route: string, viewer: { token?: string }) => `${route}:${viewer.token}`);
  const mw = backendSource('mw');
  const step = cacheStep({
    settings: context.config.cache,
    store: context.store,
    keyOf,
    sources: new Map([['mw', mw]]),
    now: () => Date.now(),
  });
  return { step, keyOf, mw };
}

describe('cache step keys', () => {
  it('makes the key of a miss once, though the miss is looked up at once and then the waiting way', async () => {
    const { step, keyOf, mw } = stepWithCountedKeys();
    const check = checkOf({ token: 'good-token' });
    expect(step.now!(check, () => undefined)).toBeUndefined();
    const next = nextAnswering({ allow: true, source: mw });
    // The waiting way comes with a check of its own, for the same viewer request (as the pipeline's do).
    const answer = await step({ ...check }, next);
    expect(answer.allow).toBe(true);
    expect(next.calls).toBe(1);
    expect(keyOf).toHaveBeenCalledTimes(1);
  });

  it('makes a new key for another check, and answers it from what the first stored', async () => {
    const { step, keyOf, mw } = stepWithCountedKeys();
    const next = nextAnswering({ allow: true, source: mw });
    await step(checkOf({ token: 'second-token' }), next);
    await vi.waitFor(() => expect(context.store.getNow?.('default:second-token')).toBeDefined());
    const hit = step.now!(checkOf({ token: 'second-token' }), () => undefined);
    expect(hit?.cache).toBe('hit');
    expect(keyOf).toHaveBeenCalledTimes(2);
    expect(next.calls).toBe(1);
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
