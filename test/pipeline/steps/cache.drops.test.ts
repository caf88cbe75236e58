import { afterAll, describe, expect, it } from 'vitest';
import { backendSource } from '../../../src/pipeline/decision.js';
import { cacheStep } from '../../../src/pipeline/steps/cache.js';
import type { Store } from '../../../src/store/types.js';
import { checkOf, nextAnswering, stepInputsFrom } from '../../support/stepInputs.js';

// How the cache step makes sure no allow outlives a backend's deny of the same key: on a store that drops allows
// wherever they are (the memory store; every worker's own cache under serve --workers), it asks it to; on one whose
// read is the shared view (Redis), it drops the allow it read.
const context = stepInputsFrom({ backends: { mw: { type: 'http', url: 'http://127.0.0.1:9/check' } } });
afterAll(() => context.close());
const mw = backendSource('mw');

/** The cache step on the test store, with or without `dropAllows`; what it asked written down. */
function stepOn(withDropAllows: boolean) {
  const asked: string[] = [];
  const store = Object.create(context.store) as Store;
  store.drop = async (what) => {
    asked.push(...what.keys.map((key) => `drop ${key}`));
    return context.store.drop(what);
  };
  store.dropAllows = withDropAllows
    ? async (keys) => {
        asked.push(...keys.map((key) => `dropAllows ${key}`));
        await context.store.dropAllows!(keys);
      }
    : undefined;
  const step = cacheStep({
    settings: context.config.cache,
    store,
    keyOf: (route, viewer) => `d:${route}:${viewer.token}`,
    sources: new Map([['mw', mw]]),
    now: () => Date.now(),
  });
  return { step, asked };
}

describe('the cache step on a deny', () => {
  it('asks a store that can to drop the allows of the key everywhere, whatever this process held', async () => {
    const { step, asked } = stepOn(true);
    await step(checkOf({ token: 'fresh-1' }), nextAnswering({ allow: false, source: mw }));
    expect(asked).toEqual(['dropAllows d:default:fresh-1']);
    // An allow drops nothing.
    await step(checkOf({ token: 'fresh-2' }), nextAnswering({ allow: true, source: mw }));
    expect(asked).toEqual(['dropAllows d:default:fresh-1']);
  });

  it('on a store without it (Redis), drops nothing when it read no allow for the key', async () => {
    const { step, asked } = stepOn(false);
    await step(checkOf({ token: 'fresh-3' }), nextAnswering({ allow: false, source: mw }));
    expect(asked).toEqual([]);
  });

  it('keeps the deny it caches: the drop takes allows only', async () => {
    const { step } = stepOn(true);
    const deny = nextAnswering({ allow: false, source: mw });
    await step(checkOf({ token: 'denied' }), deny);
    await new Promise((resolve) => setImmediate(resolve));
    await step(checkOf({ token: 'denied' }), deny);
    expect(deny.calls).toBe(1);
  });
});
