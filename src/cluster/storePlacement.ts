import { DECISION_KEYS } from '../pipeline/cacheKey.js';
import type { Dropped, NotedAllow, Store } from '../store/types.js';

/**
 * Where each Store method runs when several workers share one memory store
 * (`serve --workers N`, `cache.store: memory`):
 * - `shared`: in the primary's store, the one place every worker reaches
 *   (token bindings, session counts): they hold across workers exactly as in one process;
 * - `local`: in the worker's own memory (cached decisions and whose they are):
 *   a cached hit never leaves the worker;
 * - `byKey`: decision keys locally, every other key (a token's binding) in the primary;
 * - `ownDecisions`: a synchronous read, of this worker's cached decisions only (any other key is
 *   the primary's, which cannot answer at once);
 * - `absent`: left out, so callers take the waiting way (counting at once, which needs the counts
 *   in this process; sharing a miss across instances, which the primary's one memory does not need);
 * - `everywhere`: in the primary's store and in every worker's, the answers
 *   merged: a revoke or a flush reaches every worker's cached decisions.
 * A method added to Store is one line here (the compiler asks for it).
 */
export type Placement =
  | 'shared'
  | 'local'
  | 'byKey'
  | 'ownDecisions'
  | 'absent'
  | { readonly everywhere: (answers: readonly unknown[]) => unknown };

const concatenated = (answers: readonly unknown[]) => (answers as NotedAllow[][]).flat();

function mergedDrops(answers: readonly unknown[]): Dropped {
  const keys = new Set<string>();
  let sessions = 0;
  for (const answer of answers as Dropped[]) {
    for (const key of answer.keys) keys.add(key);
    sessions += answer.sessions;
  }
  return { keys: [...keys], sessions };
}

const summed = (answers: readonly unknown[]) => (answers as number[]).reduce((sum, n) => sum + n, 0);

export const PLACEMENT: Readonly<Record<keyof Store, Placement>> = {
  get: 'byKey',
  set: 'byKey',
  claim: 'shared',
  admitSession: 'shared',
  admitSessionNow: 'absent',
  releaseSession: 'shared',
  getNow: 'ownDecisions',
  shareMiss: 'absent',
  // The workers share no misses across processes (the memory store's own coalescing does it per worker).
  announceUnstored: 'absent',
  noteAllow: 'local',
  notedUnder: { everywhere: concatenated },
  drop: { everywhere: mergedDrops },
  dropPrefix: { everywhere: summed },
  onDrop: 'local',
  health: 'local',
  close: 'local',
  dropAllows: { everywhere: () => true },
};

export function placementOf(method: string): Placement | undefined {
  return Object.hasOwn(PLACEMENT, method) ? PLACEMENT[method as keyof Store] : undefined;
}

/** Whether `key` is a cached decision's (kept per worker) rather than shared state. */
export const isDecisionKey = (key: unknown) => typeof key === 'string' && key.startsWith(DECISION_KEYS);

/** Calls a store method by name, as the channel names it. */
export function callStore(store: Store, method: keyof Store, args: readonly unknown[]): unknown {
  return (store[method] as (...values: unknown[]) => unknown).apply(store, args as unknown[]);
}
