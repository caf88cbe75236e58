import { afterAll, describe, expect, it } from 'vitest';
import { backendSource } from '../../../src/pipeline/decision.js';
import { cacheStep } from '../../../src/pipeline/steps/cache.js';
import type { Store } from '../../../src/store/types.js';
import { checkOf, nextAnswering, stepInputsFrom } from '../../support/stepInputs.js';

// When the cache step drops the key of a backend's deny: where an allow it stands against may be held, here or
// in another process's own cache (a worker's, under serve --workers), so that no allow outlives the deny.
const context = stepInputsFrom({ backends: { mw: { type: 'http', url: 'http://127.0.0.1:9/check' } } });
afterAll(() => context.close());
const mw = backendSource('mw');

/** The cache step on the test store, or on it as a worker's store is (`decisionsElsewhere`); drops written down. */
function stepOn(decisionsElsewhere: boolean) {
  const dropped: string[] = [];
  const store = Object.create(context.store) as Store & { decisionsElsewhere?: boolean };
  store.drop = async (what) => {
    dropped.push(...what.keys);
    return context.store.drop(what);
  };
  if (decisionsElsewhere) Object.assign(store, { decisionsElsewhere: true });
  const step = cacheStep({
    settings: context.config.cache,
    store,
    keyOf: (route, viewer) => `d:${route}:${viewer.token}`,
    sources: new Map([['mw', mw]]),
    now: () => Date.now(),
  });
  return { step, dropped };
}

describe('the cache step on a deny', () => {
  it('drops nothing for a deny when this process held no allow and no other process caches decisions', async () => {
    const { step, dropped } = stepOn(false);
    await step(checkOf({ token: 'fresh-1' }), nextAnswering({ allow: false, source: mw }));
    expect(dropped).toEqual([]);
  });

  it("drops the key everywhere when other workers cache decisions of their own: one's allow must not outlive it", async () => {
    const { step, dropped } = stepOn(true);
    await step(checkOf({ token: 'fresh-2' }), nextAnswering({ allow: false, source: mw }));
    expect(dropped).toEqual(['d:default:fresh-2']);
    // An allow drops nothing.
    await step(checkOf({ token: 'fresh-3' }), nextAnswering({ allow: true, source: mw }));
    expect(dropped).toEqual(['d:default:fresh-2']);
  });
});
