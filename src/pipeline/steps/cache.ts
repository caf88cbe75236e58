import { coalescer } from '../../resilience/coalesce.js';
import type { Store } from '../../store/types.js';
import type { ViewerRequest } from '../../viewer.js';
import { type CachedDecision, fromCached, toCached } from '../cachedDecision.js';
import { decidingBackend, type DecisionSource, type StepAnswer } from '../decision.js';
import { type CacheSettings, lifetimeOf } from '../lifetime.js';
import { noteAllow } from '../revoke.js';
import type { Check, DecisionStep } from '../types.js';

export interface CacheInputs {
  readonly settings: CacheSettings;
  readonly store: Store;
  /** The cache key of a check: see cacheKey.ts. */
  readonly keyOf: (route: string, viewer: ViewerRequest) => string;
  /** The route's backends' decision sources, by name: a hit shares them rather than making its own. */
  readonly sources: ReadonlyMap<string, DecisionSource>;
  /** The route's time budget: how long a miss waits for another instance asking the same (Redis). */
  readonly budgetMs: number;
  /** Milliseconds since the epoch: what a cached answer's freshness is judged by. */
  readonly now: () => number;
}

/**
 * Decisions of the route's backends (README "Decision cache"), keyed by the
 * `cache.key` parts, else by everything the route's backends receive.
 * Identical concurrent misses make one middleware request. Only answers a
 * backend gave are cached, never the default that stands in for failures;
 * while the backends fail, an allow up to `staleIfError` seconds past its
 * TTL still answers.
 */
export function cacheStep({ settings, store, keyOf, sources, budgetMs, now: clockNow }: CacheInputs): DecisionStep {
  const once = coalescer<StepAnswer>();
  // A miss is looked up twice, at once and then the waiting way, each through a check of its own
  // for the same viewer: the digest is made once per viewer request (the step serves one route).
  let keyedViewer: ViewerRequest | undefined;
  let lastKey = '';
  const keyFor = (check: Check): string => {
    if (keyedViewer !== check.viewer) {
      keyedViewer = check.viewer;
      lastKey = keyOf(check.route, check.viewer);
    }
    return lastKey;
  };

  function remember(key: string, viewer: ViewerRequest, answer: StepAnswer): void {
    const backend = decidingBackend(answer);
    const ttl = lifetimeOf(settings, answer);
    if (backend === undefined || ttl <= 0) return;
    const storedFor = ttl + (answer.allow ? settings.staleIfError : 0);
    // Not awaited: the viewer's answer does not wait for the store.
    void store.set(key, toCached(answer, backend, ttl, clockNow()), storedFor).catch(() => undefined);
    if (answer.allow) noteAllow(store, key, viewer, answer, storedFor);
  }

  const step: DecisionStep = async (check, next) => {
    const key = keyFor(check);
    const entry = await store.get<CachedDecision>(key);
    const lookedUp = clockNow();
    if (entry && entry.freshUntil > lookedUp) return fromCached(entry, 'hit', lookedUp, sources);
    let joined = true;
    const answer = await once(key, async () => {
      joined = false;
      const ask = async () => {
        const fresh = await next(check);
        remember(key, check.viewer, fresh);
        return fresh;
      };
      // Shared by every instance on the store (Redis): one of them asks, the others read what it stored.
      const shared = store.shareMiss
        ? await store.shareMiss<CachedDecision, StepAnswer>(key, budgetMs, ask)
        : undefined;
      if (shared === undefined) return ask();
      if ('asked' in shared) return shared.asked;
      joined = true;
      const now = clockNow();
      return shared.stored.freshUntil > now
        ? { ...fromCached(shared.stored, 'hit', now, sources), cache: undefined }
        : ask();
    });
    const now = clockNow();
    // After the cache only the backends or, when they all failed (or none is asked), the route's default answer.
    const backendsFailed = answer.source.kind === 'default';
    if (backendsFailed && entry?.allow && now <= entry.freshUntil + settings.staleIfError * 1000)
      return fromCached(entry, 'stale', now, sources);
    // A copy: a coalesced answer is shared by every check that waited for it.
    return { ...answer, miss: joined ? 'joined' : 'asked' };
  };
  // A fresh answer the store holds in this process; anything else (a miss, a stale allow) goes the waiting way.
  step.now = (check) => {
    const entry = store.getNow?.<CachedDecision>(keyFor(check));
    const now = clockNow();
    return entry && entry.freshUntil > now ? fromCached(entry, 'hit', now, sources) : undefined;
  };
  return step;
}
