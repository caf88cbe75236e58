import type { StreamingServerConfig } from '../config/streamingServersSchema.js';
import type { Logger } from '../log.js';
import { maskUrl } from '../secrets.js';
import { trustedCallerClassifier } from '../server/callers.js';
import type { Clock } from '../clock.js';
import type { SessionTracker } from '../sessions/tracker.js';
import type { TrackedSession } from '../sessions/trackedSession.js';
import type { EndReason } from '../sessions/types.js';
import type { AstraApi, AstraSession } from './astraApi.js';

/** What `/admin/status` shows of one streaming server's API. */
export interface ConnectorState {
  readonly name: string;
  readonly type: 'astra';
  readonly url: string;
  /** `starting` until the first poll answered or failed. */
  readonly state: 'starting' | 'up' | 'down';
  readonly lastPollAt?: string;
  readonly lastError?: string;
  /** Sessions the server listed at the last poll, and how many of them the bridge decided. */
  readonly listed: number;
  readonly matched: number;
  readonly closed: number;
}

export interface AstraConnectorOptions {
  readonly name: string;
  readonly config: StreamingServerConfig;
  readonly api: AstraApi;
  readonly tracker: SessionTracker;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * The sessions connection limits count: what every server with an API listed at its last poll.
   * Default: what this server listed. Each server closes only its own; they agree on which to close.
   */
  readonly listedEverywhere?: () => readonly TrackedSession[];
  /**
   * Whether another server listed this session at its last poll. Two servers on one host (two Astras, other ports)
   * share the caller address, so each sees the other's sessions among its own: one it does not list has not ended
   * while the other lists it. Default: no other server.
   */
  readonly listedByAnother?: (key: string, self: AstraConnector) => boolean;
}

/**
 * Polls one Astra's session list and holds the bridge's live sessions to it:
 * a session Astra stops listing has ended (`closed-by-server`), one it lists
 * is being watched, and a user with more listed sessions than its connection
 * limit (a local user's `maxConnections`, a backend's `X-Max-Sessions`) has the
 * extra ones closed. A revoked session whose close failed is closed at the next
 * poll that lists it. Nothing here is on the decision path: a poll that fails
 * changes no answer, it is tried again next time.
 */
export class AstraConnector {
  private readonly isCaller: (address: string | undefined) => boolean;
  /** Astra's own id of each session matched at the last poll, to close it with. */
  private clientIds = new Map<string, string | number>();
  /** The sessions matched at the last poll, by key. */
  private matched = new Map<string, TrackedSession>();
  /** Revoked sessions Astra did not close when asked: asked again at every poll that lists them. */
  private readonly revokedStillOpen = new Set<string>();
  private status: ConnectorState;
  private polling: Promise<void> | undefined;
  private readonly stopPolling: () => void;
  private readonly stopHearingEnds: () => void;

  constructor(private readonly options: AstraConnectorOptions) {
    const check = trustedCallerClassifier(options.config.callers);
    this.isCaller = (address) => check(address).trusted;
    this.status = {
      name: options.name,
      type: 'astra',
      url: maskUrl(options.config.url),
      state: 'starting',
      listed: 0,
      matched: 0,
      closed: 0,
    };
    this.stopHearingEnds = options.tracker.onEnd((ended) => this.forget(ended.key));
    this.stopPolling = options.clock.every(options.config.poll * 1000, () => void this.poll());
  }

  state(): ConnectorState {
    return this.status;
  }

  /** The bridge's sessions this server listed at its last poll and that are still live. */
  listed(): TrackedSession[] {
    return [...this.matched.values()];
  }

  /** Whether this server listed the session at its last poll. */
  lists(key: string): boolean {
    return this.matched.has(key);
  }

  /**
   * Whether a session is one this server may list: Astra's own checks (the Cesbo dialect) from its address. An SRS,
   * Flussonic or nginx server on the same host sends checks from there too: its sessions are not Astra's to end.
   */
  owns(session: TrackedSession): boolean {
    return session.row.protocol === 'cesbo' && this.isCaller(session.row.caller);
  }

  /** One poll now (also what the timer runs); resolves when it is done, never rejects. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** Closes these live sessions on the server; resolves with the ones Astra accepted to close. */
  async close(sessions: readonly TrackedSession[], reason: EndReason): Promise<TrackedSession[]> {
    const closed: TrackedSession[] = [];
    // A few at a time, not one after another: a server that hangs on each close costs timeoutMs per batch, where it
    // cost timeoutMs per session (a revoke of 100 sessions took 5 minutes).
    for (let at = 0; at < sessions.length; at += CLOSES_AT_ONCE) {
      const batch = sessions.slice(at, at + CLOSES_AT_ONCE);
      const outcomes = await Promise.allSettled(
        batch.map((session) => this.options.api.closeSession(this.clientIds.get(session.key) ?? session.row.session)),
      );
      outcomes.forEach((outcome, i) => {
        const session = batch[i]!;
        if (outcome.status === 'rejected') {
          if (reason === 'revoked') this.revokedStillOpen.add(session.key);
          this.options.log.warn('could not close a session on the streaming server', {
            server: this.options.name,
            session: session.row.session,
            error: messageOf(outcome.reason),
          });
          return;
        }
        this.options.tracker.end(session.key, reason);
        closed.push(session);
      });
    }
    this.status = { ...this.status, closed: this.status.closed + closed.length };
    return closed;
  }

  stop(): void {
    this.stopPolling();
    this.stopHearingEnds();
  }

  /** The session ended (here or anywhere else): it no longer counts, nor is it closed again. */
  private forget(key: string): void {
    this.clientIds.delete(key);
    this.matched.delete(key);
    this.revokedStillOpen.delete(key);
  }

  private async pollOnce(): Promise<void> {
    const { tracker, api, log, name } = this.options;
    let listed: AstraSession[];
    try {
      listed = await api.sessions();
    } catch (error) {
      const wasDown = this.status.state === 'down';
      this.status = { ...this.status, state: 'down', lastError: messageOf(error), lastPollAt: this.nowIso() };
      if (!wasDown)
        log.warn('streaming server API unreachable: sessions are not matched or closed until it answers', {
          server: name,
          error: messageOf(error),
        });
      return;
    }
    if (this.status.state === 'down') log.info('streaming server API answers again', { server: name });
    const mine = new Map(tracker.find((s) => this.owns(s)).map((s) => [s.row.session, s]));
    const previous = this.clientIds;
    const current = new Map<string, string | number>();
    const matched = new Map<string, TrackedSession>();
    for (const entry of listed) {
      const session = mine.get(String(entry.clientId));
      if (!session) continue;
      mine.delete(String(entry.clientId));
      tracker.touch(session);
      current.set(session.key, entry.clientId);
      matched.set(session.key, session);
    }
    // Not listed any more, or never listed within a whole poll since its check: it has ended.
    const pollMs = this.options.config.poll * 1000;
    for (const session of mine.values()) {
      const unlisted = previous.has(session.key) || session.row.firstSeen <= this.options.clock.now() - pollMs;
      if (unlisted && !this.options.listedByAnother?.(session.key, this))
        tracker.end(session.key, 'closed-by-server', session.row.lastSeen);
    }
    this.clientIds = current;
    this.matched = matched;
    for (const key of this.revokedStillOpen) if (!matched.has(key)) this.revokedStillOpen.delete(key);
    this.status = {
      ...this.status,
      state: 'up',
      lastError: undefined,
      lastPollAt: this.nowIso(),
      listed: listed.length,
      matched: matched.size,
    };
    const revoked = [...this.revokedStillOpen].map((key) => matched.get(key)!);
    await this.close(revoked, 'revoked');
    const counted = this.options.listedEverywhere?.() ?? this.listed();
    const closed = await this.close(
      overLimit(counted).filter((session) => this.matched.has(session.key)),
      'over-limit',
    );
    // Said as a revoke's closes are: an operator asked why a viewer was cut off finds it in the log.
    for (const session of closed)
      this.options.log.info('session closed over its connection limit', {
        server: this.options.name,
        session: session.row.session,
        user: session.row.user,
        limit: session.counted?.limit,
      });
  }

  private nowIso(): string {
    return new Date(this.options.clock.now()).toISOString();
  }
}

/** Close calls a connector has under way at once. */
const CLOSES_AT_ONCE = 16;

/** Oldest first; sessions that started in the same millisecond in an order every connector agrees on. */
const byStart = (a: TrackedSession, b: TrackedSession) =>
  a.row.firstSeen - b.row.firstSeen || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The sessions to close so that no user has more than the connection limit
 * its sessions were counted under: the newest ones, or, when the newest
 * session is `unique` (`X-Unique`), the oldest (the newest replaces them).
 */
function overLimit(sessions: readonly TrackedSession[]): TrackedSession[] {
  const byUser = new Map<string, TrackedSession[]>();
  for (const session of sessions) {
    if (session.counted === undefined || !session.row.allowed) continue;
    const list = byUser.get(session.counted.user) ?? [];
    list.push(session);
    byUser.set(session.counted.user, list);
  }
  const extra: TrackedSession[] = [];
  for (const list of byUser.values()) {
    list.sort(byStart);
    const newest = list[list.length - 1]!.counted!;
    const limit = Math.max(newest.limit, 1);
    if (list.length <= limit) continue;
    extra.push(...(newest.unique ? list.slice(0, list.length - limit) : list.slice(limit)));
  }
  return extra;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
