/** Where a viewing session stands toward one backend: Flussonic's `request_type` and `request_number`. */
export interface SessionTurn {
  readonly requestType: 'new_session' | 'update_session';
  readonly requestNumber: number;
}

export interface SessionNumbersOptions {
  /** Seconds after its last request that a session is forgotten (then it is new again). */
  readonly idleSeconds: number;
  /** Sessions remembered at most; past it the longest idle is forgotten first. */
  readonly maxSessions: number;
  /** Milliseconds since the epoch; injected so tests drive time. */
  readonly now?: () => number;
}

interface Seen {
  count: number;
  lastSeen: number;
}

/**
 * Counts the requests the bridge sends for each `(caller, session id)`, so a
 * Flussonic-style backend hears `new_session` first and `update_session`
 * after, as from Flussonic itself (real backends branch on it and answer
 * nothing else). Bounded and expiring: the map is kept in order of last
 * request, so the stalest sessions are at its head and go first.
 */
export class SessionNumbers {
  private readonly seen = new Map<string, Seen>();
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SessionNumbersOptions) {
    this.idleMs = options.idleSeconds * 1000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.seen.size;
  }

  /** The next request for this session: counted now. Without a session id every request is a new session. */
  next(caller: string | undefined, session: string | undefined): SessionTurn {
    if (session === undefined) return { requestType: 'new_session', requestNumber: 1 };
    const now = this.now();
    this.forgetIdle(now);
    // A NUL cannot be in a header or a decoded socket address: the key is unambiguous.
    const key = `${caller ?? ''}\0${session}`;
    const known = this.seen.get(key);
    this.seen.delete(key);
    const count = (known?.count ?? 0) + 1;
    this.seen.set(key, { count, lastSeen: now });
    if (this.seen.size > this.options.maxSessions) this.seen.delete(this.seen.keys().next().value!);
    return { requestType: count === 1 ? 'new_session' : 'update_session', requestNumber: count };
  }

  private forgetIdle(now: number): void {
    for (const [key, { lastSeen }] of this.seen) {
      if (now - lastSeen <= this.idleMs) return;
      this.seen.delete(key);
    }
  }
}
