import { coalescer } from '../../resilience/coalesce.js';
import type { StoredValue } from '../../store/types.js';
import type { ViewerRequest } from '../../viewer.js';
import { decisionKeyOf, defaultKeyParts } from '../cacheKey.js';
import { noteAllow } from '../revoke.js';
import { lifetimeOf, type DecisionStep, type RouteContext, type Verdict } from '../types.js';

/** What the store keeps per decision: the answer and until when it is fresh (epoch ms). */
interface CachedDecision extends StoredValue {
  readonly allow: boolean;
  readonly decidedBy: string;
  readonly freshUntil: number;
  readonly backend?: string;
  readonly sessionName?: string;
  readonly redirect?: string;
  readonly userId?: string;
  readonly maxSessions?: number;
  readonly unique?: boolean;
}

/** A stale allow tells the streaming server to ask again soon: the middleware may be back by then. */
const STALE_RECHECK_SECONDS = 30;

/**
 * Decisions of the route's backends (README "Decision cache"), keyed by the
 * `cache.key` parts, else by everything the route's backends receive.
 * Identical concurrent misses make one middleware request. Only answers a
 * backend gave are cached, never the default that stands in for failures;
 * while the backends fail, an allow up to `staleIfError` seconds past its
 * TTL still answers.
 */
export function cacheStep({ config, route, store, adapters }: RouteContext): DecisionStep | undefined {
  const cache = config.cache;
  if (!cache.enabled || adapters.length === 0) return undefined;
  const keyOf = decisionKeyOf(cache.key ?? defaultKeyParts(route.backends.map((name) => config.backends[name]!)));
  const once = coalescer<Verdict>();

  function remember(key: string, viewer: ViewerRequest, verdict: Verdict): void {
    const ttl = lifetimeOf(cache, verdict);
    if (verdict.backend === undefined || ttl <= 0) return;
    const { allow, decidedBy, backend, sessionName, redirect, userId, maxSessions, unique } = verdict;
    const entry: CachedDecision = {
      allow,
      decidedBy,
      backend,
      sessionName,
      redirect,
      userId,
      maxSessions,
      unique,
      freshUntil: Date.now() + ttl * 1000,
    };
    const storedFor = ttl + (allow ? cache.staleIfError : 0);
    // Not awaited: the viewer's answer does not wait for the store.
    void store.set(key, entry, storedFor).catch(() => undefined);
    if (allow) noteAllow(store, key, viewer, verdict, storedFor);
  }

  function answerFrom(entry: CachedDecision, cached: 'hit' | 'stale', now: number): Verdict {
    const ttlSeconds =
      cached === 'hit' ? Math.max(1, Math.ceil((entry.freshUntil - now) / 1000)) : STALE_RECHECK_SECONDS;
    // Field by field rather than spread: this is the hot path of a busy bridge.
    return {
      allow: entry.allow,
      decidedBy: entry.decidedBy,
      backend: entry.backend,
      sessionName: entry.sessionName,
      redirect: entry.redirect,
      userId: entry.userId,
      maxSessions: entry.maxSessions,
      unique: entry.unique,
      cache: cached,
      ttlSeconds,
    };
  }

  return async (check, next) => {
    const key = keyOf(check.route, check.viewer);
    const entry = await store.get<CachedDecision>(key);
    const lookedUp = Date.now();
    if (entry && entry.freshUntil > lookedUp) return answerFrom(entry, 'hit', lookedUp);
    let joined = true;
    const verdict = await once(key, async () => {
      joined = false;
      const ask = async () => {
        const fresh = await next(check);
        remember(key, check.viewer, fresh);
        return fresh;
      };
      // Shared by every instance on the store (Redis): one of them asks, the others read what it stored.
      const shared = store.shareMiss
        ? await store.shareMiss<CachedDecision, Verdict>(key, route.timeoutMs, ask)
        : undefined;
      if (shared === undefined) return ask();
      if ('asked' in shared) return shared.asked;
      joined = true;
      const now = Date.now();
      return shared.stored.freshUntil > now ? { ...answerFrom(shared.stored, 'hit', now), cache: undefined } : ask();
    });
    const now = Date.now();
    const backendsFailed = verdict.backend === undefined;
    if (backendsFailed && entry?.allow && now <= entry.freshUntil + cache.staleIfError * 1000)
      return answerFrom(entry, 'stale', now);
    // A copy: a coalesced verdict is shared by every check that waited for it.
    return { ...verdict, miss: joined ? 'joined' : 'asked' };
  };
}
