import { coalescer } from '../../resilience/coalesce.js';
import type { Store } from '../../store/types.js';
import type { ViewerRequest } from '../../viewer.js';
import { type CachedDecision, fromCached, toCached } from '../cachedDecision.js';
import { decidingBackend, type DecisionSource, type StepAnswer, withMiss } from '../decision.js';
import { type CacheSettings, lifetimeOf } from '../lifetime.js';
import { noteAllow } from '../revoke.js';
import type { Check, DecisionStep, Next } from '../types.js';

export interface CacheInputs {
  readonly settings: CacheSettings;
  readonly store: Store;
  /** The cache key of a check: see cacheKey.ts. */
  readonly keyOf: (route: string, viewer: ViewerRequest) => string;
  /** The route's backends' decision sources, by name: a hit shares them rather than making its own. */
  readonly sources: ReadonlyMap<string, DecisionSource>;
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
export function cacheStep({ settings, store, keyOf, sources, now: clockNow }: CacheInputs): DecisionStep {
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

  /** `held`: what the store held for the key when the check looked (an allow a deny now stands against, say). */
  function remember(key: string, viewer: ViewerRequest, answer: StepAnswer, held: CachedDecision | undefined): void {
    const backend = decidingBackend(answer);
    if (backend === undefined) return;
    const ttl = lifetimeOf(settings, answer);
    // A backend's deny must not leave the viewer's earlier allow behind for the next failure to serve stale: not with
    // `denyTtl: 0` (the deny is not stored), nor when the store refuses to store it (Redis full still deletes), nor in
    // another worker's own cache (`serve --workers`), which this one cannot see.
    // The allows dropped first, then the deny stored: on Redis the drop's announcement reaches the near-caches after.
    const dropping = answer.allow ? undefined : dropAllowsOf(key, held);
    if (ttl <= 0) {
      // Other instances waiting on this miss get the answer with the announcement: they would take "nothing stored"
      // for failed backends and ask again, past their budget to the route's default (a default allow let them in).
      store.announceUnstored?.(key, toCached(answer, backend, 0, clockNow()));
      return;
    }
    const storedFor = ttl + (answer.allow ? settings.staleIfError : 0);
    const cached = toCached(answer, backend, ttl, clockNow());
    // Not awaited: the viewer's answer does not wait for the store.
    if (dropping === undefined) void store.set(key, cached, storedFor).catch(() => undefined);
    else void dropping.then(() => store.set(key, cached, storedFor)).catch(() => undefined);
    if (answer.allow) noteAllow(store, key, viewer, answer, storedFor);
  }

  /**
   * Drops the allows `key` holds before a deny is stored: wherever they are (every worker's own cache), or, on a store
   * whose read was the shared view, the one read.
   */
  function dropAllowsOf(key: string, held: CachedDecision | undefined): Promise<unknown> | undefined {
    if (store.dropAllows) return store.dropAllows([key]).catch(() => undefined);
    return held?.allow ? store.drop({ keys: [key], sessionsOf: [] }).catch(() => undefined) : undefined;
  }

  /** The rest of the order asked, its answer remembered before any waiting check reads it. */
  const askAndRemember = (
    key: string,
    check: Check,
    next: Next,
    held: CachedDecision | undefined,
  ): Promise<StepAnswer> =>
    next(check).then((fresh) => {
      remember(key, check.viewer, fresh, held);
      return fresh;
    });

  /**
   * A miss shared by every instance on the store (Redis): one of them asks, the others read what
   * it stored; `joinedAnother` hears when this check waited for another instance.
   */
  async function askShared(
    shareMiss: NonNullable<Store['shareMiss']>,
    key: string,
    check: Check,
    next: Next,
    held: CachedDecision | undefined,
    joinedAnother: () => void,
  ): Promise<StepAnswer> {
    const ask = () => askAndRemember(key, check, next, held);
    // Waiting for another instance is this check's time too: its budget starts here, and its own ask has what is left.
    const leftMs = Math.max(0, Math.floor(check.startBudget() - performance.now()));
    const shared = await shareMiss<CachedDecision, StepAnswer>(key, leftMs, ask);
    if ('asked' in shared) return shared.asked;
    joinedAnother();
    const now = clockNow();
    // Not stored (a deny with denyTtl 0): the holder's answer to this very miss, as its own waiters have it.
    if ('announced' in shared) return { ...fromCached(shared.announced, 'hit', now, sources), cache: undefined };
    return shared.stored.freshUntil > now
      ? { ...fromCached(shared.stored, 'hit', now, sources), cache: undefined }
      : ask();
  }

  const step: DecisionStep = async (check, next) => {
    const key = keyFor(check);
    const entry = await store.get<CachedDecision>(key);
    const lookedUp = clockNow();
    if (entry && entry.freshUntil > lookedUp) return fromCached(entry, 'hit', lookedUp, sources);
    let joined = true;
    // A store of this process alone asks straight away: no async wrapper, no promise handed on
    // from one (each of those is a promise and hops more on every miss).
    const answer = await once(key, () => {
      joined = false;
      const { shareMiss } = store;
      if (shareMiss === undefined) return askAndRemember(key, check, next, entry);
      return askShared(shareMiss.bind(store), key, check, next, entry, () => {
        joined = true;
      });
    });
    const now = clockNow();
    // After the cache only the backends or, when they all failed (or none is asked), the route's default answer.
    const backendsFailed = answer.source.kind === 'default';
    if (backendsFailed && entry?.allow && now <= entry.freshUntil + settings.staleIfError * 1000)
      return fromCached(entry, 'stale', now, sources);
    // A copy: a coalesced answer is shared by every check that waited for it.
    return withMiss(answer, joined ? 'joined' : 'asked');
  };
  // A fresh answer the store holds in this process; anything else (a miss, a stale allow) goes the waiting way.
  step.now = (check) => {
    const entry = store.getNow?.<CachedDecision>(keyFor(check));
    const now = clockNow();
    return entry && entry.freshUntil > now ? fromCached(entry, 'hit', now, sources) : undefined;
  };
  return step;
}
