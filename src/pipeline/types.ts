import type { MiddlewareAdapter } from '../adapters/types.js';
import type { BridgeConfig, RouteConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { LocalUsers } from '../policies/users/localUsers.js';
import type { Store } from '../store/types.js';
import type { ViewerRequest } from '../viewer.js';

/** The bridge's answer for one viewer, before it is written in a caller's dialect. */
export interface Decision {
  readonly allow: boolean;
  /** Which step decided: `backend:<name>`, `default`, ... (for the log). */
  readonly decidedBy: string;
  /** How long the decision stays valid, in seconds (Flussonic's `X-AuthDuration`). */
  readonly ttlSeconds: number;
  /** The backend whose answer this is (also when it comes from the cache). */
  readonly backend?: string;
  /** Set when the answer came from the cache: `stale` means past its TTL, served because the backends failed. */
  readonly cache?: 'hit' | 'stale';
  /**
   * Set when the cache was asked, had no fresh answer and the backends were asked: `asked` by
   * this check, `joined` when it waited for an identical check already asking them (metrics only).
   */
  readonly miss?: 'asked' | 'joined';
  readonly sessionName?: string;
  readonly redirect?: string;
  readonly userId?: string;
  readonly maxSessions?: number;
  readonly unique?: boolean;
  /**
   * The local user's connection limit this allow's session was counted under (a backend allow's
   * count follows from `userId` and `maxSessions`): what is freed when the session ends.
   */
  readonly countedAs?: Admission;
}

/** A session counted against a connection limit in the store. */
export interface Admission {
  /** `local:<login>` or `backend:<X-UserId>`. */
  readonly user: string;
  readonly limit: number;
  /** The newest session replaces the older ones instead of being refused. */
  readonly unique: boolean;
}

/** A decision before the route has settled its lifetime. */
export type Verdict = Omit<Decision, 'ttlSeconds'> & { readonly ttlSeconds?: number };

export interface Check {
  readonly route: string;
  readonly viewer: ViewerRequest;
  /**
   * Starts the route's time budget (once; later calls return the same
   * signal) and returns the signal that aborts when it is spent. Called by
   * the steps that do slow work, so a cached decision starts no timer.
   */
  startBudget(): AbortSignal;
}

/**
 * One step of the decision order: decides, or passes the check on with `next`.
 * Wrapping `next` lets a step act on what the later steps decided (as a cache will).
 */
export type DecisionStep = (check: Check, next: (check: Check) => Promise<Verdict>) => Promise<Verdict>;

/** What the HTTP layer needs from the decision side, and nothing more. */
export interface Decider {
  hasRoute(route: string): boolean;
  decide(route: string, viewer: ViewerRequest): Promise<Decision>;
}

/** What a route's steps are built from. */
export interface RouteContext {
  readonly name: string;
  readonly route: RouteConfig;
  /** The route's backends, in configuration order. */
  readonly adapters: readonly MiddlewareAdapter[];
  readonly config: BridgeConfig;
  readonly store: Store;
  readonly log: Logger;
  /** Local users (config `users` and `usersFile`), one set shared by every route; undefined when none are configured. */
  readonly localUsers?: LocalUsers;
}

/**
 * How long a decision holds: what the deciding step said (a backend's
 * `X-AuthDuration`), else `allowTtl` for an allow and `denyTtl` for a deny,
 * never past `maxTtl`.
 */
export function lifetimeOf(cache: BridgeConfig['cache'], verdict: Pick<Verdict, 'allow' | 'ttlSeconds'>): number {
  return Math.min(verdict.ttlSeconds ?? (verdict.allow ? cache.allowTtl : cache.denyTtl), cache.maxTtl);
}
