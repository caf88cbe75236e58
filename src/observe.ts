import type { Decision } from './pipeline/types.js';
import type { ViewerRequest } from './viewer.js';

/**
 * What kind of step decided, for metrics and statistics. Only the kind: the
 * full `decidedBy` text can name a rule, a login or a backend's user.
 */
export type DecidedByKind =
  | 'publish'
  | 'ip-rule'
  | 'securetoken'
  | 'user'
  | 'backend'
  | 'token-binding'
  | 'connection-limit'
  | 'default'
  | 'refused'
  | 'internal-error';

const KINDS: readonly DecidedByKind[] = ['publish', 'ip-rule', 'securetoken', 'user', 'backend', 'token-binding', 'connection-limit', 'default', 'internal-error'];

/** The kind of a decision's `decidedBy` text (`backend:portal` → `backend`, `user:alice (expired)` → `user`). */
export function kindOf(decidedBy: string): DecidedByKind {
  for (const kind of KINDS) {
    if (decidedBy.startsWith(kind)) return kind;
  }
  return 'internal-error';
}

/** One viewer check answered (or refused before it could be decided), as the operations side sees it. */
export interface CheckAnswered {
  readonly route: string;
  /** The caller protocol the check arrived in (`cesbo`, `flussonic`, ...). */
  readonly protocol: string;
  /** The streaming server's socket address (IPv4-mapped folded to IPv4). */
  readonly caller: string | undefined;
  /** The viewer as read; undefined when the request was refused before it named one. */
  readonly viewer: ViewerRequest | undefined;
  /** Undefined when the request was refused (bad input, untrusted caller, unknown route). */
  readonly decision: Decision | undefined;
  readonly outcome: 'allow' | 'deny' | 'refused';
  readonly by: DecidedByKind;
  /** `hit`/`stale`: answered from the cache; `none`: decided without it (a policy, or no cache on the route). */
  readonly cache: 'hit' | 'miss' | 'stale' | 'none';
  readonly status: number;
  readonly durationMs: number;
}

/**
 * A streaming server said a viewing session ended (SRS `on_stop`/`on_close`,
 * nginx-rtmp `play_done`/`done`): the session `(caller, session)` is over.
 */
export interface SessionEnded {
  readonly route: string;
  readonly protocol: string;
  readonly caller: string | undefined;
  /** The streaming server's session id; undefined when its notification named none. */
  readonly session: string | undefined;
  /** The notification, as the server named it (`on_stop`, `play_done`, ...). */
  readonly reason: string;
}

/**
 * Narrow hooks through which operations (metrics, sessions, statistics)
 * watch the decision path. Called synchronously after the answer is written:
 * an observer must only record and return, never wait or throw.
 */
export interface BridgeObserver {
  checkAnswered?(event: CheckAnswered): void;
  sessionEnded?(event: SessionEnded): void;
}

type Hook = keyof BridgeObserver;

/** One hook of several observers as one; an observer that throws is skipped, never the answer's problem. */
function combined<K extends Hook>(observers: readonly BridgeObserver[], hook: K, onError: (error: unknown) => void): BridgeObserver[K] {
  const watching = observers.filter((o) => o[hook] !== undefined);
  if (watching.length === 0) return undefined;
  return ((event: never) => {
    for (const observer of watching) {
      try {
        (observer[hook] as (event: never) => void).call(observer, event);
      } catch (error) {
        onError(error);
      }
    }
  }) as BridgeObserver[K];
}

/** Several observers as one. */
export function observeAll(observers: readonly BridgeObserver[], onError: (error: unknown) => void = () => undefined): BridgeObserver {
  return { checkAnswered: combined(observers, 'checkAnswered', onError), sessionEnded: combined(observers, 'sessionEnded', onError) };
}
