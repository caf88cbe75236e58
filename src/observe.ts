import type { Decision } from './pipeline/types.js';
import type { ViewerRequest } from './viewer.js';

/**
 * What kind of step decided, for metrics and statistics. Only the kind: the
 * full `decidedBy` text can name a rule, a login or a backend's user.
 */
export type DecidedByKind =
  | 'ip-rule'
  | 'securetoken'
  | 'user'
  | 'backend'
  | 'token-binding'
  | 'connection-limit'
  | 'default'
  | 'refused'
  | 'internal-error';

const KINDS: readonly DecidedByKind[] = ['ip-rule', 'securetoken', 'user', 'backend', 'token-binding', 'connection-limit', 'default', 'internal-error'];

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
 * Narrow hooks through which operations (metrics, sessions, statistics)
 * watch the decision path. Called synchronously after the answer is written:
 * an observer must only record and return, never wait or throw.
 */
export interface BridgeObserver {
  checkAnswered?(event: CheckAnswered): void;
  /** A streaming server said a viewing session is over (SRS `on_stop`, nginx-rtmp `play_done`, ...). */
  sessionEnded?(event: SessionEnded): void;
}

/** A streaming server's notification that one of its sessions ended. */
export interface SessionEnded {
  readonly route: string;
  readonly protocol: string;
  readonly caller: string | undefined;
  readonly session: string;
  readonly reason: string;
}

/** Several observers as one; one that throws is skipped, never the answer's problem. */
export function observeAll(observers: readonly BridgeObserver[], onError: (error: unknown) => void = () => undefined): BridgeObserver {
  return {
    checkAnswered: fanOut(observers.flatMap((o) => (o.checkAnswered ? [o.checkAnswered.bind(o)] : [])), onError),
    sessionEnded: fanOut(observers.flatMap((o) => (o.sessionEnded ? [o.sessionEnded.bind(o)] : [])), onError),
  };
}

/** One hook calling each of `hooks`; undefined when there are none, so the caller skips building the event. */
function fanOut<E>(hooks: readonly ((event: E) => void)[], onError: (error: unknown) => void): ((event: E) => void) | undefined {
  if (hooks.length === 0) return undefined;
  return (event) => {
    for (const hook of hooks) {
      try {
        hook(event);
      } catch (error) {
        onError(error);
      }
    }
  };
}
