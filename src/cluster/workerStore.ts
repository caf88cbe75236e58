import type { Store } from '../store/types.js';
import { callStore, isDecisionKey, PLACEMENT, placementOf } from './storePlacement.js';

/** Asks the primary: `store` runs a method on its store, `storeEverywhere` on its store and every worker's. */
export type AskPrimary = (
  handler: 'store' | 'storeEverywhere',
  method: keyof Store,
  args: readonly unknown[],
) => Promise<unknown>;

/**
 * A worker's Store with `cache.store: memory` under `serve --workers N`: each
 * method runs where PLACEMENT puts it. When the primary cannot answer (it
 * never should: it is on this machine and runs no checks), the method runs
 * on the worker's own memory, as the Redis store falls back on the
 * instance's: bindings and limits then hold at least per worker.
 */
export function workerStore(local: Store, askPrimary: AskPrimary): Store {
  const remote =
    (handler: 'store' | 'storeEverywhere', method: keyof Store) =>
    (...args: unknown[]) =>
      askPrimary(handler, method, args).catch(async () => {
        const own = await callStore(local, method, args);
        // This worker's share alone is not the group's answer: said as a store that could not answer says it.
        return handler === 'store' ? own : undefined;
      });
  const store: Record<string, unknown> = {};
  for (const [name, placement] of Object.entries(PLACEMENT)) {
    const method = name as keyof Store;
    const own = (...args: unknown[]) => callStore(local, method, args);
    if (placement === 'absent') continue;
    if (placement === 'local') store[method] = own;
    else if (placement === 'ownDecisions')
      store[method] = (...args: unknown[]) => (isDecisionKey(args[0]) ? own(...args) : undefined);
    else if (placement === 'shared') store[method] = remote('store', method);
    else if (placement === 'byKey') {
      const shared = remote('store', method);
      store[method] = (...args: unknown[]) => (isDecisionKey(args[0]) ? own(...args) : shared(...args));
    } else store[method] = remote('storeEverywhere', method);
  }
  return store as unknown as Store;
}

/** The worker's side of a method the primary runs `everywhere`: its share, from its own memory. */
export function runLocally(local: Store | undefined, method: string, args: readonly unknown[]): unknown {
  if (local === undefined || typeof placementOf(method) !== 'object')
    throw new Error(`store method ${method} is not run here`);
  return callStore(local, method as keyof Store, args);
}
