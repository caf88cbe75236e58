import type { Store } from '../store/types.js';
import type { ViewerRequest } from '../viewer.js';
import { BINDING_KEYS, bindingKey, DECISION_KEYS, decisionKeyPrefix, digest } from './cacheKey.js';
import type { Verdict } from './types.js';

/** Whose cached allows, token bindings and counted sessions to drop: a viewer's token, login, or the middleware's user id. */
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
 * Index sets, one per identity, of what a cached allow left behind: cache keys are digests, so a
 * viewer's entries can only be found again through them. Identities are digested too.
 */
const indexKey = {
  token: (token: string) => `i:t:${digest(token)}`,
  login: (login: string) => `i:l:${digest(login)}`,
  userId: (userId: string) => `i:u:${digest(userId)}`,
};

/** Index members: a store key to drop, or a user whose counted sessions to forget. */
const KEY_MEMBER = 'k:';
const SESSIONS_MEMBER = 's:';

/** The session-count user names the connection-limit steps count under. */
const localSessions = (login: string) => `local:${login}`;
const backendSessions = (userId: string) => `backend:${userId}`;

/**
 * Notes a cached allow under the viewer's token, login (given, or as the middleware named the
 * session) and middleware user id. Called on cache misses only, never on a hit, and not awaited.
 */
export function indexAllow(store: Store, key: string, viewer: ViewerRequest, verdict: Verdict, ttlSeconds: number): void {
  const members = [`${KEY_MEMBER}${key}`];
  if (viewer.token) members.push(`${KEY_MEMBER}${bindingKey(viewer.token)}`);
  if (verdict.userId !== undefined) members.push(`${SESSIONS_MEMBER}${backendSessions(verdict.userId)}`);
  const identities = new Set<string>();
  if (viewer.token) identities.add(indexKey.token(viewer.token));
  if (viewer.credentials) identities.add(indexKey.login(viewer.credentials.login));
  if (verdict.sessionName !== undefined) identities.add(indexKey.login(verdict.sessionName));
  if (verdict.userId !== undefined) identities.add(indexKey.userId(verdict.userId));
  for (const identity of identities) void store.addToIndex(identity, members, ttlSeconds).catch(() => undefined);
}

/** What is always dropped for a selector, index or not, and where its index is. */
function directly(selector: RevokeSelector): { index: string; keys: string[]; sessionsOf: string[] } {
  if ('token' in selector) return { index: indexKey.token(selector.token), keys: [bindingKey(selector.token)], sessionsOf: [] };
  if ('login' in selector) return { index: indexKey.login(selector.login), keys: [], sessionsOf: [localSessions(selector.login)] };
  return { index: indexKey.userId(selector.userId), keys: [], sessionsOf: [backendSessions(selector.userId)] };
}

export function revocation(store: Store): Revocation {
  return {
    async revoke(selector) {
      const { index, keys, sessionsOf } = directly(selector);
      const members = await store.readIndex(index);
      const dropKeys = new Set([...keys, index]);
      const dropSessions = new Set(sessionsOf);
      for (const member of members ?? []) {
        if (member.startsWith(KEY_MEMBER)) dropKeys.add(member.slice(KEY_MEMBER.length));
        else if (member.startsWith(SESSIONS_MEMBER)) dropSessions.add(member.slice(SESSIONS_MEMBER.length));
      }
      const dropped = await store.drop({ keys: [...dropKeys], sessionsOf: [...dropSessions] });
      const count = (prefix: string) => dropped?.keys.filter((key) => key.startsWith(prefix)).length ?? 0;
      return {
        decisions: count(DECISION_KEYS),
        bindings: count(BINDING_KEYS),
        sessions: dropped?.sessions ?? 0,
        complete: members !== undefined && dropped !== undefined,
      };
    },
    async flush(route) {
      const decisions = await store.dropPrefix(route === undefined ? DECISION_KEYS : decisionKeyPrefix(route));
      return { decisions: decisions ?? 0, complete: decisions !== undefined };
    },
  };
}
