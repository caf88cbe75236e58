import { TextPool } from '../store/textPool.js';
import type { StoredValue } from '../store/types.js';
import { backendSource, type DecisionSource, type StepAnswer } from './decision.js';

/**
 * What the store keeps per decision: a backend's answer and until when it is fresh (epoch ms).
 * Flat and plain, so Redis can keep it as JSON; the memory store keeps this very object, and a hit
 * hands it on by reference as the decision's `answer` (it has the fields of a backend's answer).
 */
export interface CachedDecision extends StoredValue {
  readonly allow: boolean;
  readonly backend: string;
  readonly freshUntil: number;
  readonly sessionName?: string;
  readonly redirect?: string;
  readonly userId?: string;
  readonly maxSessions?: number;
  readonly unique?: boolean;
}

/** The middleware's names for viewers, shared by the cached decisions that carry them (32 B each a million times). */
const names = new TextPool(65_536);

/**
 * The cached form of a backend's answer, fresh for `ttlSeconds` from `now`. An answer that names no
 * middleware user (most of them) is kept without the user's fields: a million entries, 32 MB less.
 */
export function toCached(answer: StepAnswer, backend: string, ttlSeconds: number, now: number): CachedDecision {
  const { allow } = answer;
  const sessionName = names.keep(answer.sessionName);
  const redirect = names.keep(answer.redirect);
  const freshUntil = now + ttlSeconds * 1000;
  const info = answer.answer;
  if (info?.userId === undefined && info?.maxSessions === undefined && info?.unique === undefined)
    return allow ? { allow, backend, freshUntil, sessionName } : { allow, backend, freshUntil, redirect };
  const { maxSessions, unique } = info;
  const userId = names.keep(info.userId);
  return { allow, backend, freshUntil, sessionName, redirect, userId, maxSessions, unique };
}

/** A stale allow tells the streaming server to ask again soon: the middleware may be back by then. */
export const STALE_RECHECK_SECONDS = 30;

/**
 * A cached answer as the decision it stands for. `sources` are the route's backends' own (shared,
 * so a hit allocates none); an entry another instance stored for a backend this one lacks gets one made.
 */
export function fromCached(
  entry: CachedDecision,
  cached: 'hit' | 'stale',
  now: number,
  sources: ReadonlyMap<string, DecisionSource>,
): StepAnswer {
  const ttlSeconds = cached === 'hit' ? Math.max(1, Math.ceil((entry.freshUntil - now) / 1000)) : STALE_RECHECK_SECONDS;
  return {
    allow: entry.allow,
    source: sources.get(entry.backend) ?? backendSource(entry.backend),
    answer: entry,
    sessionName: entry.sessionName,
    redirect: entry.redirect,
    cache: cached,
    ttlSeconds,
  };
}
