import type { Store } from '../store/types.js';
import type { ViewerRequest } from '../viewer.js';
import { BINDING_KEYS, bindingKey, DECISION_KEYS, decisionKeyPrefix, digest } from './cacheKey.js';
import type { StepAnswer } from './decision.js';

/**
 * Whose cached allows, token bindings and counted sessions to drop: a viewer's token, login, or the middleware's user
 * id.
 */
export type RevokeSelector = { readonly token: string } | { readonly login: string } | { readonly userId: string };

export interface Revoked {
  /** Cached decisions dropped. */
  readonly decisions: number;
  /** Token-to-IP bindings dropped. */
  readonly bindings: number;
  /** Counted sessions forgotten (the viewer's connection limits start again from zero). */
  readonly sessions: number;
  /** False when the shared store (Redis) could not be reached: some of it may remain there or on other instances. */
  readonly complete: boolean;
}

export interface Flushed {
  readonly decisions: number;
  readonly complete: boolean;
}

/** What the admin side calls; both act on every bridge instance sharing the store. */
export interface Revocation {
  revoke(selector: RevokeSelector): Promise<Revoked>;
  /** Drops the cached decisions of `route`, or of every route. */
  flush(route?: string): Promise<Flushed>;
}

/**
 * Who a cached allow belongs to: the viewer's token (as a digest: never in clear), the login the
 * viewer gave or the middleware named the session, the middleware's user id. Cache keys are
 * digests, so a viewer's entries can only be found again through these.
 */
const TOKEN = 't:';
const LOGIN = 'l:';
const USER_ID = 'u:';

/** The session-count user names the connection-limit steps count under. */
const localSessions = (login: string) => `local:${login}`;
const backendSessions = (userId: string) => `backend:${userId}`;

/**
 * Notes a cached allow under the viewer's identities. Called on cache misses only, never on a hit,
 * and not awaited.
 */
export function noteAllow(
  store: Store,
  key: string,
  viewer: ViewerRequest,
  answer: StepAnswer,
  ttlSeconds: number,
): void {
  const noted: string[] = [];
  if (viewer.token) noteIdentity(noted, `${TOKEN}${digest(viewer.token)}`);
  if (viewer.credentials) noteIdentity(noted, `${LOGIN}${viewer.credentials.login}`);
  if (answer.sessionName !== undefined) noteIdentity(noted, `${LOGIN}${answer.sessionName}`);
  if (answer.answer?.userId !== undefined) noteIdentity(noted, `${USER_ID}${answer.answer.userId}`);
  if (noted.length > 0) void store.noteAllow(key, noted, ttlSeconds).catch(() => undefined);
}

/**
 * Adds an identity once. A store may keep them one a line: a login with a line break (from a
 * viewer's query) is no one's to revoke. A list, not a set: there are four at most, and a set
 * and its copy cost a miss more than looking through four.
 */
function noteIdentity(noted: string[], identity: string): void {
  if (!identity.includes('\n') && !noted.includes(identity)) noted.push(identity);
}

/** The identity a selector names, and what it always drops, whether or not any allow was noted. */
function selected(selector: RevokeSelector): { identity: string; keys: string[]; sessionsOf: string[] } {
  if ('token' in selector)
    return { identity: `${TOKEN}${digest(selector.token)}`, keys: [bindingKey(selector.token)], sessionsOf: [] };
  if ('login' in selector)
    return { identity: `${LOGIN}${selector.login}`, keys: [], sessionsOf: [localSessions(selector.login)] };
  return { identity: `${USER_ID}${selector.userId}`, keys: [], sessionsOf: [backendSessions(selector.userId)] };
}

export function revocation(store: Store): Revocation {
  return {
    async revoke(selector) {
      const { identity, keys, sessionsOf } = selected(selector);
      const noted = await store.notedUnder(identity);
      const dropKeys = new Set(keys);
      const dropSessions = new Set(sessionsOf);
      // Each allow found also names the viewer's other identities: its token's binding, its user's sessions.
      for (const allow of noted ?? []) {
        dropKeys.add(allow.key);
        for (const other of allow.identities) {
          if (other.startsWith(TOKEN)) dropKeys.add(`${BINDING_KEYS}${other.slice(TOKEN.length)}`);
          else if (other.startsWith(USER_ID)) dropSessions.add(backendSessions(other.slice(USER_ID.length)));
        }
      }
      const dropped = await store.drop({ keys: [...dropKeys], sessionsOf: [...dropSessions] });
      const count = (prefix: string) => dropped?.keys.filter((key) => key.startsWith(prefix)).length ?? 0;
      return {
        decisions: count(DECISION_KEYS),
        bindings: count(BINDING_KEYS),
        sessions: dropped?.sessions ?? 0,
        complete: noted !== undefined && dropped !== undefined,
      };
    },
    async flush(route) {
      const decisions = await store.dropPrefix(route === undefined ? DECISION_KEYS : decisionKeyPrefix(route));
      return { decisions: decisions ?? 0, complete: decisions !== undefined };
    },
  };
}
