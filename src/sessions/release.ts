import type { EndListener } from './tracker.js';

/** Where connection-limit slots are counted (the bridge's store). */
export interface SessionReleaser {
  releaseSession(user: string, session: string): Promise<void>;
}

/**
 * Frees the connection-limit slot an ended session was counted in, so a viewer
 * who stopped watching can start again at once rather than after
 * `sessions.idleTtl`. Not awaited: a slow or unreachable store delays nothing.
 */
export function releaseCountedSessions(store: SessionReleaser): EndListener {
  return (ended) => {
    if (ended.counted) void store.releaseSession(ended.counted.user, ended.row.session).catch(() => undefined);
  };
}
