import type { TrackedSession } from './trackedSession.js';

/** Sessions under one id from one caller: nearly always one, several when servers or viewers share an id. */
type SameId = TrackedSession | TrackedSession[];

const isViewerOf = (tracked: TrackedSession, protocol: string, ip: string | undefined) =>
  tracked.row.protocol === protocol && (tracked.row.ip ?? '') === (ip ?? '');

/**
 * Live sessions by caller, then by session id, then by caller protocol and viewer address: a session is
 * its id as one streaming server, in one protocol, for one viewer sends it (see `sessionKey`), so that
 * nginx-rtmp's client 1 and SRS's client 1 on one host, or one id sent for two viewers, are two sessions,
 * and the end of one frees only its own slot. Found on every check without a key made for it: the
 * `sessionKey` string built per check was more than half of the bytes the tracker allocated per
 * repeated check (64 of 112 here), and a fresh string is hashed anew each time.
 */
export class SessionIndex {
  private readonly byCaller = new Map<string, Map<string, SameId>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(
    caller: string | undefined,
    session: string,
    protocol: string,
    ip: string | undefined,
  ): TrackedSession | undefined {
    const found = this.byCaller.get(caller ?? '')?.get(session);
    if (found === undefined) return undefined;
    if (!Array.isArray(found)) return isViewerOf(found, protocol, ip) ? found : undefined;
    return found.find((tracked) => isViewerOf(tracked, protocol, ip));
  }

  /** The one session of this id from this caller in `protocol`, whatever its viewer's address; undefined if none or several. */
  onlyOne(caller: string | undefined, session: string, protocol: string): TrackedSession | undefined {
    const found = this.byCaller.get(caller ?? '')?.get(session);
    const all = found === undefined ? [] : Array.isArray(found) ? found : [found];
    const mine = all.filter((tracked) => tracked.row.protocol === protocol);
    return mine.length === 1 ? mine[0] : undefined;
  }

  /**
   * By `sessionKey(protocol, caller, ip, session)`: protocol, caller and address hold no line break, so the first
   * three end them and the rest is the id (which may hold one).
   */
  byKey(key: string): TrackedSession | undefined {
    const protocolEnd = key.indexOf('\n');
    const callerEnd = key.indexOf('\n', protocolEnd + 1);
    const ipEnd = key.indexOf('\n', callerEnd + 1);
    if (ipEnd < 0) return undefined;
    return this.get(
      key.slice(protocolEnd + 1, callerEnd),
      key.slice(ipEnd + 1),
      key.slice(0, protocolEnd),
      key.slice(callerEnd + 1, ipEnd),
    );
  }

  /** Adds a session not in the index yet (the tracker looks it up first). */
  add(tracked: TrackedSession): void {
    const caller = tracked.row.caller ?? '';
    const sessions = this.byCaller.get(caller) ?? new Map<string, SameId>();
    if (sessions.size === 0) this.byCaller.set(caller, sessions);
    const id = tracked.row.session;
    const present = sessions.get(id);
    if (present === undefined) sessions.set(id, tracked);
    else if (Array.isArray(present)) present.push(tracked);
    else sessions.set(id, [present, tracked]);
    this.count++;
  }

  remove(tracked: TrackedSession): void {
    const caller = tracked.row.caller ?? '';
    const sessions = this.byCaller.get(caller);
    const id = tracked.row.session;
    const present = sessions?.get(id);
    if (present === undefined) return;
    if (present === tracked) sessions!.delete(id);
    else if (Array.isArray(present) && present.includes(tracked)) {
      const rest = present.filter((one) => one !== tracked);
      sessions!.set(id, rest.length === 1 ? rest[0]! : rest);
    } else return;
    this.count--;
    if (sessions!.size === 0) this.byCaller.delete(caller);
  }
}
