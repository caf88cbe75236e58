import type { SessionAdmission } from '../store/types.js';
import type { Clock } from '../clock.js';
import type { SessionTracker } from './tracker.js';
import type { TrackedSession } from './trackedSession.js';

/** Where connection-limit slots are counted (the bridge's store). */
export interface SlotStore {
  admitSession(request: SessionAdmission): Promise<boolean>;
  releaseSession(user: string, session: string): Promise<void>;
}

export interface CountedSlotsOptions {
  /** `sessions.idleTtl`: how long the store counts a session not seen again. */
  readonly idleTtlSeconds: number;
  readonly clock: Clock;
}

/** The slot the session's checks were counted in: its key is the limiting steps' slot (see sessionKey). */
const slotOf = ({ key }: TrackedSession): string => key;

/** Re-counts a session whatever the user's count: the server streams it, so it holds a slot. */
const ALWAYS = Number.MAX_SAFE_INTEGER;

/**
 * Holds the store's connection-limit counts to the sessions the streaming
 * servers really have. A session that ended frees its slot at once, instead
 * of after `sessions.idleTtl`. A session a server still lists (Astra checks a
 * session only once) is counted again before the store would let it idle out,
 * at most twice per `idleTtl`, so a second session is refused at its check
 * rather than let in and closed at the next poll. Nothing is awaited: a slow
 * or unreachable store delays nothing. Returns a function that stops it.
 */
export function keepCountedSlots(tracker: SessionTracker, store: SlotStore, options: CountedSlotsOptions): () => void {
  const halfIdleMs = (options.idleTtlSeconds * 1000) / 2;
  const countedAt = new WeakMap<TrackedSession, number>();
  const stopEnds = tracker.onEnd((ended) => {
    if (ended.counted) void store.releaseSession(ended.counted.user, slotOf(ended)).catch(() => undefined);
  });
  const stopListed = tracker.onListed((listed) => {
    if (!listed.counted) return;
    const now = options.clock.now();
    if (now - (countedAt.get(listed) ?? listed.row.firstSeen) < halfIdleMs) return;
    countedAt.set(listed, now);
    const { user } = listed.counted;
    const admission = { user, session: slotOf(listed), limit: ALWAYS, idleTtlSeconds: options.idleTtlSeconds };
    void store.admitSession({ ...admission, unique: false }).catch(() => undefined);
  });
  return () => {
    stopEnds();
    stopListed();
  };
}
