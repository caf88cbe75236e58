import { type Decision, type DecisionSource, POLICY_KINDS } from './pipeline/decision.js';
import type { ViewerRequest } from './viewer.js';

/**
 * What kind of step decided, for metrics and statistics. Only the kind: the
 * full `by` text can name a rule, a login or a backend's user. One list, read
 * by the metrics' label values too, so that a new kind is counted where it is made.
 */
export const DECIDED_BY_KINDS = [...POLICY_KINDS, 'backend', 'default', 'refused', 'internal-error'] as const;
export type DecidedByKind = (typeof DECIDED_BY_KINDS)[number];

/** The kind of step that decided (`backend:portal` → `backend`, `user:alice (expired)` → `user`). */
export function kindOf(source: DecisionSource): DecidedByKind {
  return source.kind === 'policy' ? source.policy : source.kind;
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
 * Whether the cache answered (`hit`/`stale`), was asked and sent the check on to the backends (`miss`), or was not
 * involved (`none`).
 */
export function cacheOutcome(decision: Decision): CheckAnswered['cache'] {
  return decision.cache ?? (decision.miss === undefined ? 'none' : 'miss');
}

/** How one backend request ended, in the words of the `backend_requests_total` metric. */
export type BackendOutcome =
  | 'allow'
  | 'deny'
  | 'timeout'
  | 'refused'
  | 'reset'
  | 'server-error'
  | 'bad-answer'
  | 'internal'
  | 'circuit-open';

/** One middleware asked (or skipped by its open circuit). */
export interface BackendAsked {
  readonly backend: string;
  readonly outcome: BackendOutcome;
  readonly durationMs: number;
}

/**
 * A streaming server said a viewing session ended (SRS `on_stop`/`on_close`,
 * nginx-rtmp `play_done`/`done`): the session `(protocol, caller, ip, session)` is over.
 */
export interface SessionEnded {
  readonly route: string;
  readonly protocol: string;
  readonly caller: string | undefined;
  /** The viewer's address as the notification gives it: the same id for another viewer is another session. */
  readonly ip: string | undefined;
  /** The streaming server's session id; undefined when its notification named none. */
  readonly session: string | undefined;
  /** The notification, as the server named it (`on_stop`, `play_done`, ...). */
  readonly reason: string;
}

/**
 * Narrow hooks through which operations (metrics, sessions, statistics)
 * watch the decision path. Called synchronously after the answer is written
 * (`backendAsked`: after the backend answered): an observer must only record
 * and return, never wait or throw.
 */
export interface BridgeObserver {
  checkAnswered?(event: CheckAnswered): void;
  sessionEnded?(event: SessionEnded): void;
  backendAsked?(event: BackendAsked): void;
}

type Hook = keyof BridgeObserver;

/** One hook of several observers as one call; undefined when none of them has it. */
function combined<H extends Hook>(
  observers: readonly BridgeObserver[],
  hook: H,
  onError: (error: unknown) => void,
): BridgeObserver[H] {
  const calls = observers.flatMap((o) => (o[hook] === undefined ? [] : [o[hook].bind(o) as (event: never) => void]));
  if (calls.length === 0) return undefined;
  return ((event: never) => {
    for (const call of calls) {
      try {
        call(event);
      } catch (error) {
        onError(error);
      }
    }
  }) as BridgeObserver[H];
}

const HOOKS: readonly Hook[] = ['checkAnswered', 'sessionEnded', 'backendAsked'];

/** What `observeAll` made: its hooks already catch what an observer throws. */
const guarded = new WeakSet<BridgeObserver>();

/**
 * Several observers as one; one that throws is skipped, never the answer's problem. Only hooks
 * someone has are set. One observer that `observeAll` made already is that observer: a check is
 * not handed through a second loop and catch on the busiest path.
 */
export function observeAll(
  observers: readonly BridgeObserver[],
  onError: (error: unknown) => void = () => undefined,
): BridgeObserver {
  if (observers.length === 1 && guarded.has(observers[0]!)) return observers[0]!;
  const all: Record<string, unknown> = {};
  for (const hook of HOOKS) {
    const call = combined(observers, hook, onError);
    if (call) all[hook] = call;
  }
  guarded.add(all);
  return all as BridgeObserver;
}
