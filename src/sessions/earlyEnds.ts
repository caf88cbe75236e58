/** How long an end is kept for a check that began before it: longer than any check takes to be decided. */
const KEEP_MS = 10 * 60_000;
/** Ends kept at most: a flood of ends for sessions never checked must not grow the process. */
const MOST_KEPT = 20_000;

/**
 * Ends the streaming servers sent, kept a while by session key. A viewer who leaves while the middleware still decides
 * (zapping past a slow middleware) has nginx-rtmp's `play_done` or SRS's `on_stop` arrive before the allow: the allow,
 * answered after the end, must not open a session nobody watches, which held the user's slot for `sessions.idleTtl`.
 */
export class EarlyEnds {
  /** Key → the end, oldest first (a key heard again moves to the end). */
  private readonly ends = new Map<string, HeardEnd>();

  /** `ended`: whether the end ended a live session, or came before any check of it was answered. */
  heard(key: string, at: number, ended: HeardEnd['ended']): void {
    this.ends.delete(key);
    this.ends.set(key, { at, ended });
    if (this.ends.size > MOST_KEPT) this.ends.delete(this.ends.keys().next().value!);
  }

  /**
   * The end of session `key`, if it came after a check of it that began at `startedAt` (the check is late). Kept for
   * every other late check of it (two may be under way at once); forgotten once a check began after it, which starts
   * the session anew.
   */
  endedAfter(key: string, startedAt: number): HeardEnd | undefined {
    if (this.ends.size === 0) return undefined;
    const end = this.ends.get(key);
    if (end === undefined) return undefined;
    if (end.at >= startedAt) return end;
    this.ends.delete(key);
    return undefined;
  }

  /** Forgets the ends older than KEEP_MS. */
  prune(now: number): void {
    for (const [key, { at }] of this.ends) {
      if (at > now - KEEP_MS) return;
      this.ends.delete(key);
    }
  }
}

export interface HeardEnd {
  readonly at: number;
  readonly ended: 'live' | 'unseen';
}
