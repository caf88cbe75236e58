import type { SessionEnded } from '../observe.js';
import { sessionSlot } from '../pipeline/admission.js';
import type { Clock } from '../clock.js';
import { CheckOrder } from './checkOrder.js';
import { EarlyEnds } from './earlyEnds.js';
import { HandedRows } from './handedRows.js';
import { SessionIndex } from './sessionIndex.js';
import { listing, type SessionFilter, type SessionListing } from './liveSession.js';
import type { TrackedCheck } from './trackedCheck.js';
import { countedAs, hiddenNamesOf, startedSession, type TrackedSession } from './trackedSession.js';
import { namedUser, namesAnotherUser } from './sessionUser.js';
import type { EndReason, SessionRow, SessionSink } from './types.js';

export interface SessionTrackerOptions {
  readonly idleTtlSeconds: number;
  readonly maxLive: number;
  readonly clock: Clock;
  readonly sink?: SessionSink;
}

/** Hears that a live session ended (not that it was evicted to make room: it may still be watched). */
export type EndListener = (ended: TrackedSession, reason: EndReason) => void;

/** Hears that a streaming server still lists a live session (its API's poll). */
export type ListedListener = (listed: TrackedSession) => void;

/** A live session's progress is written at least this often, so a crash loses at most this much of it. */
const PROGRESS_EVERY_MS = 60_000;
/**
 * Idle sessions the sweep ends per turn of the event loop: ending one copies and queues its row
 * and tells the listeners (connection limits, connectors), 10 to 35 µs here, so viewers who all
 * left at once (the end of a match) held the loop for as long as it took to end them all: 4.6 s
 * for 100,000 in one turn, measured.
 */
const SWEEP_SLICE = 250;

/**
 * A session is its id as one streaming server (the caller's address), in one caller protocol, for one viewer
 * address sends it: the same id from another server, protocol or viewer is another session. The same text as the
 * connection-limit slot it is counted in (pipeline/admission.ts), so that its end frees that slot and no other.
 */
export function sessionKey(
  protocol: string,
  caller: string | undefined,
  ip: string | undefined,
  session: string,
): string {
  return sessionSlot(protocol, caller, ip, session)!;
}

/**
 * Live viewing sessions, one per (caller, session id), fed by the answered
 * checks. They are kept in order of the last check (`CheckOrder`), so the idle
 * sweep and the eviction past `maxLive` take from the oldest end and
 * `/admin/sessions` lists from the newest. Tokens are kept only as
 * fingerprints (for revoke), passwords never.
 */
export class SessionTracker {
  /** To find a session; `order` keeps them in order of the last check. */
  private readonly live = new SessionIndex();
  private readonly order = new CheckOrder<TrackedSession>();
  /** Live sessions per route, so that a metrics scrape counts without walking every session. */
  private readonly liveByRoute = new Map<string, number>();
  /** A sweep that goes on in the next turn of the event loop: the periodic one waits for it. */
  private sweepGoesOn = false;
  private closed = false;
  private readonly endListeners = new Set<EndListener>();
  private readonly listedListeners = new Set<ListedListener>();
  private readonly stopSweeping: () => void;
  private readonly rowsHeld = new HandedRows();
  private readonly earlyEnds = new EarlyEnds();
  /**
   * Live sessions no check has allowed yet, oldest first: made room for first past `maxLive`, so that a run of
   * refused attempts (bad tokens, a viewer over its limit retrying) does not end the sessions of viewers watching.
   */
  private readonly neverAllowed = new Set<TrackedSession>();

  constructor(private readonly options: SessionTrackerOptions) {
    const sweepMs = Math.max(1000, Math.min((options.idleTtlSeconds * 1000) / 10, 30_000));
    this.stopSweeping = options.clock.every(sweepMs, () => this.sweep());
  }

  /**
   * The observer hook: called right after a check's answer was written. `at`: when it was
   * answered, for a check another worker answered a moment ago.
   */
  checkAnswered(event: TrackedCheck, at?: number): void {
    const { viewer, decision } = event;
    // A publish is no viewing session: neither listed nor counted in the statistics.
    if (!viewer?.session || !decision || viewer.publishing) return;
    const now = at ?? this.options.clock.now();
    const tracked = this.live.get(event.caller, viewer.session, event.protocol, viewer.ip);
    const verdict = decision.allow ? 'allow' : 'deny';
    if (tracked) {
      this.order.moveToNewest(tracked);
      const changed = tracked.row.decision !== verdict || tracked.row.by !== event.by;
      const row = this.rowsHeld.own(tracked);
      // Another worker's check may arrive after a later one of this process's.
      row.lastSeen = Math.max(now, row.lastSeen);
      row.decision = verdict;
      row.by = event.by;
      // Allowed at last: a check of it no longer looks it up (the set is for the few never allowed).
      if (!row.allowed && decision.allow) this.neverAllowed.delete(tracked);
      row.allowed ||= decision.allow;
      tracked.counted = countedAs(decision, tracked.counted) ?? tracked.counted;
      const named = this.nameUser(tracked, event);
      if (changed || named || now - tracked.written >= PROGRESS_EVERY_MS) this.write(tracked);
      return;
    }
    const key = sessionKey(event.protocol, event.caller, viewer.ip, viewer.session);
    const fresh = startedSession(event, key, now);
    // The server said the session ended while this check was being decided: the viewer has gone.
    const late = this.earlyEnds.endedAfter(key, now - (event.durationMs ?? 0));
    if (late?.ended === 'live') {
      // A check of a session that was being watched (an update, answered after the end that ended it): no new session,
      // but the slot it was counted in again is freed (the end listeners).
      for (const listener of this.endListeners) listener(fresh, 'closed-by-server');
      return;
    }
    if (this.live.size >= this.options.maxLive) this.makeRoom();
    this.live.add(fresh);
    if (!fresh.row.allowed) this.neverAllowed.add(fresh);
    this.order.append(fresh);
    this.countIn(fresh.row.route, 1);
    this.options.sink?.(this.rowsHeld.handOut(fresh.row));
    // Its first check: the viewer left before it was answered, a session of no length, its slot freed at once.
    if (late === undefined) return;
    this.end(key, 'closed-by-server', late.at);
    // Another check of it still under way is no new session either: it has its row now.
    this.earlyEnds.heard(key, late.at, 'live');
  }

  /** A later check that names another user names the session, and who a revoke or a filter finds it as. */
  private nameUser(tracked: TrackedSession, event: TrackedCheck): boolean {
    const named = namedUser(event);
    // The user the session has already (nearly every check): nothing to compare, nothing built.
    if (named.user === undefined || named.user === tracked.row.user) return false;
    // Its fields named, not spread: a copy of the whole session on every later check cost more than the rest of the
    // tracker.
    const known = {
      user: tracked.row.user,
      login: tracked.login,
      sessionName: tracked.sessionName,
      userId: tracked.userId,
    };
    if (!namesAnotherUser(known, named)) return false;
    this.rowsHeld.own(tracked).user = named.user;
    tracked.login = named.login;
    tracked.sessionName = named.sessionName;
    tracked.userId = named.userId;
    tracked.hidden = hiddenNamesOf(event.decision!, named);
    return true;
  }

  /** The observer hook for a streaming server's own end-of-session notification. */
  sessionEnded(event: SessionEnded): void {
    // A notification that names no session ends none.
    if (event.session === undefined) return;
    // A notification that names no viewer address (a proxy dropped it) ends the one session of that id, if one.
    const only = event.ip === undefined ? this.live.onlyOne(event.caller, event.session, event.protocol) : undefined;
    const key = only?.key ?? sessionKey(event.protocol, event.caller, event.ip, event.session);
    const now = this.options.clock.now();
    const wasLive = this.end(key, 'closed-by-server', now);
    // Kept for a check of it still being decided, which is answered after this.
    this.earlyEnds.heard(key, now, wasLive ? 'live' : 'unseen');
  }

  /** The streaming server still lists the session (one of `find`'s): it is being watched now. */
  touch(tracked: TrackedSession): void {
    // Ended since it was found: it stays ended.
    if (tracked.row.endedAt !== undefined) return;
    const now = this.options.clock.now();
    this.order.moveToNewest(tracked);
    this.rowsHeld.own(tracked).lastSeen = now;
    if (now - tracked.written >= PROGRESS_EVERY_MS) this.write(tracked);
    for (const listener of this.listedListeners) listener(tracked);
  }

  /** Ends a live session; false when there is none by that key. */
  end(key: string, reason: EndReason, at = this.options.clock.now()): boolean {
    const tracked = this.finish(key, reason, at);
    if (!tracked) return false;
    for (const listener of this.endListeners) listener(tracked, reason);
    return true;
  }

  /** Calls `listener` for every session that ends from now on; returns a function that stops it. */
  onEnd(listener: EndListener): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Calls `listener` whenever a server's API lists a live session (`touch`); returns a function that stops it. */
  onListed(listener: ListedListener): () => void {
    this.listedListeners.add(listener);
    return () => this.listedListeners.delete(listener);
  }

  /** Live sessions matching `predicate`, oldest check first. */
  find(predicate: (session: TrackedSession) => boolean): TrackedSession[] {
    const found: TrackedSession[] = [];
    // A plain walk of the links: an iterator spread into an array first cost twice as much at 100,000 (a connector's
    // every poll).
    for (let session = this.order.oldest; session; session = session.newer) if (predicate(session)) found.push(session);
    return found;
  }

  /** Live sessions matching `filter`, most recently checked first: their count, and the first `limit` of them. */
  list(filter: SessionFilter = {}, limit = Infinity): SessionListing {
    const { user, channel, route } = filter;
    // Counted without a walk when only a route, or nothing, is asked for: the walk then stops at `limit`.
    const known = user === undefined && channel === undefined ? this.liveCount(route) : undefined;
    return listing(this.order.newest, filter, limit, known);
  }

  liveRoutes(): string[] {
    return [...this.liveByRoute.keys()];
  }

  liveCount(route?: string): number {
    return route === undefined ? this.live.size : (this.liveByRoute.get(route) ?? 0);
  }

  /**
   * The live sessions' rows as they are now, not handed out: the next check of each still
   * updates its row in place (no copy), so a reader that goes on over later turns of the event
   * loop reads each row as it is then. For the statistics summed from the live sessions.
   */
  rowsNow(): readonly SessionRow[] {
    const rows: SessionRow[] = [];
    for (let session = this.order.oldest; session; session = session.newer) rows.push(session.row);
    return rows;
  }

  /** Live session rows, handed out (to be kept as they are): written at close. */
  rows(): SessionRow[] {
    const rows: SessionRow[] = [];
    for (let session = this.order.oldest; session; session = session.newer)
      rows.push(this.rowsHeld.handOut(session.row));
    return rows;
  }

  /**
   * Ends every session not checked within `idleTtl`, at the time it was last seen, SWEEP_SLICE per turn of the event
   * loop.
   */
  sweep(): void {
    const now = this.options.clock.now();
    this.earlyEnds.prune(now);
    if (!this.sweepGoesOn) this.endIdle(now - this.options.idleTtlSeconds * 1000);
  }

  /** Stops the idle sweep; live sessions stay as they are (a restart does not end them). */
  close(): void {
    this.closed = true;
    this.stopSweeping();
  }

  /** Ends the sessions last seen before `before`, oldest check first, a slice now and the rest later. */
  private endIdle(before: number): void {
    let ended = 0;
    // The oldest read afresh each time: whoever hears an end may end other sessions too.
    for (let tracked = this.order.oldest; tracked; tracked = this.order.oldest) {
      if (tracked.row.lastSeen > before) return;
      if (ended++ === SWEEP_SLICE) {
        this.sweepGoesOn = true;
        setImmediate(() => {
          this.sweepGoesOn = false;
          if (!this.closed) this.endIdle(before);
        });
        return;
      }
      this.end(tracked.key, 'idle', tracked.row.lastSeen);
    }
  }

  private countIn(route: string, change: 1 | -1): void {
    const count = (this.liveByRoute.get(route) ?? 0) + change;
    if (count === 0) this.liveByRoute.delete(route);
    else this.liveByRoute.set(route, count);
  }

  /**
   * Ends a session to make room for a new one: the oldest never allowed, else the least recently checked. Recorded
   * as idle, but nobody hears it ended: the viewer may still be watching.
   */
  private makeRoom(): void {
    const evicted = this.neverAllowed.values().next().value ?? this.order.oldest;
    if (evicted) this.finish(evicted.key, 'idle', evicted.row.lastSeen);
  }

  private finish(key: string, reason: EndReason, at: number): TrackedSession | undefined {
    const tracked = this.live.byKey(key);
    if (!tracked) return undefined;
    this.live.remove(tracked);
    this.order.remove(tracked);
    this.neverAllowed.delete(tracked);
    this.countIn(tracked.row.route, -1);
    tracked.row = { ...tracked.row, endedAt: Math.max(at, tracked.row.lastSeen), endReason: reason };
    this.write(tracked);
    return tracked;
  }

  private write(tracked: TrackedSession): void {
    tracked.written = this.options.clock.now();
    this.options.sink?.(this.rowsHeld.handOut(tracked.row));
  }
}
