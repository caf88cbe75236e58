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
  /** Key → when it ended, oldest first (a key heard again moves to the end). */
  private readonly ends = new Map<string, number>();

  heard(key: string, at: number): void {
    this.ends.delete(key);
    this.ends.set(key, at);
    if (this.ends.size > MOST_KEPT) this.ends.delete(this.ends.keys().next().value!);
  }

  /**
   * When the session `key` ended, if that was after a check of it that began at `startedAt` (the check is late); the
   * end is forgotten either way, since a check that began after it starts the session anew.
   */
  endedAfter(key: string, startedAt: number): number | undefined {
    if (this.ends.size === 0) return undefined;
    const at = this.ends.get(key);
    if (at === undefined) return undefined;
    this.ends.delete(key);
    return at >= startedAt ? at : undefined;
  }

  /** Forgets the ends older than KEEP_MS. */
  prune(now: number): void {
    for (const [key, at] of this.ends) {
      if (at > now - KEEP_MS) return;
      this.ends.delete(key);
    }
  }
}
