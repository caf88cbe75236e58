import type { TrackedSession } from './trackedSession.js';

/**
 * Live sessions by caller, then by session id: found on every check without a key made for it.
 * The `sessionKey` string built per check was more than half of the bytes the tracker
 * allocated per repeated check (64 of 112 here), and a fresh string is hashed anew each time.
 */
export class SessionIndex {
  private readonly byCaller = new Map<string, Map<string, TrackedSession>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(caller: string | undefined, session: string): TrackedSession | undefined {
    return this.byCaller.get(caller ?? '')?.get(session);
  }

  /** By `sessionKey(caller, session)`: the caller is an address, so the key's first line break ends it. */
  byKey(key: string): TrackedSession | undefined {
    const end = key.indexOf('\n');
    return this.byCaller.get(key.slice(0, end))?.get(key.slice(end + 1));
  }

  add(tracked: TrackedSession): void {
    const caller = tracked.row.caller ?? '';
    const sessions = this.byCaller.get(caller) ?? new Map<string, TrackedSession>();
    if (sessions.size === 0) this.byCaller.set(caller, sessions);
    sessions.set(tracked.row.session, tracked);
    this.count++;
  }

  remove(tracked: TrackedSession): void {
    const caller = tracked.row.caller ?? '';
    const sessions = this.byCaller.get(caller);
    if (!sessions?.delete(tracked.row.session)) return;
    this.count--;
    if (sessions.size === 0) this.byCaller.delete(caller);
  }
}
