import { type Clock, systemClock } from '../clock.js';
import type { Store, StoreHealth, StoredValue } from '../store/types.js';
import { ChannelError } from './channel.js';
import { callStore, isDecisionKey, PLACEMENT, placementOf } from './storePlacement.js';

/** Asks the primary: `store` runs a method on its store, `storeEverywhere` on its store and every worker's. */
export type AskPrimary = (
  handler: 'store' | 'storeEverywhere',
  method: keyof Store,
  args: readonly unknown[],
) => Promise<unknown>;

/**
 * How long a worker waits for the primary's store before doing without it. The primary is on this
 * machine and decides nothing, so only a wedged (or stopped) primary is this slow; a check waits
 * for it once, then the worker's memory answers at once until the primary answers again.
 */
export const PRIMARY_ANSWER_MS = 250;

/** What the probe asks the primary for: a key no one writes (not a decision's, so it is the primary's to answer). */
const PROBE_KEY = 'probe:primary';

/** The primary said nothing in time (or is gone), as opposed to answering with an error. */
const isSilence = (error: unknown) => error instanceof ChannelError && error.unanswered;

/**
 * A worker's Store with `cache.store: memory` under `serve --workers N`: each
 * method runs where PLACEMENT puts it. When the primary cannot answer (it
 * never should: it is on this machine and runs no checks), the method runs
 * on the worker's own memory, as the Redis store falls back on the
 * instance's: bindings and limits then hold at least per worker. Once a call
 * went unanswered, every call waiting for the primary and every later one
 * runs on the worker's memory at once, and health says so, until the primary
 * answers a probe (one at a time, sent by the calls and health checks made meanwhile).
 * Health dates the silence by `clock`.
 */
export function workerStore(local: Store, askPrimary: AskPrimary, clock: Pick<Clock, 'now'> = systemClock): Store {
  /** Epoch ms. */
  let silentSince: number | undefined;
  let probing = false;
  /** Calls waiting for the primary: each runs on the worker's memory at once when the primary is found silent. */
  const waiting = new Set<() => void>();

  function noteSilence(): void {
    if (silentSince !== undefined) return;
    silentSince = clock.now();
    for (const doWithout of [...waiting]) doWithout();
  }
  function probe(): void {
    if (probing) return;
    probing = true;
    const answered = () => (silentSince = undefined);
    askPrimary('store', 'get', [PROBE_KEY])
      .then(answered, (error: unknown) => (isSilence(error) ? undefined : answered()))
      .finally(() => (probing = false));
  }

  const remote = (handler: 'store' | 'storeEverywhere', method: keyof Store) => {
    const withoutPrimary = async (args: unknown[]) => {
      const own = await callStore(local, method, args);
      // A revoke still drops what this worker holds (README "Revoke and flush"): its own notes name those allows, and
      // the drop that follows, answered only here, says the revoke was not complete.
      if (method === 'notedUnder') return own;
      // This worker's share alone is not the group's answer: said as a store that could not answer says it.
      return handler === 'store' ? own : undefined;
    };
    return (...args: unknown[]) => {
      if (silentSince !== undefined) {
        probe();
        return withoutPrimary(args);
      }
      return new Promise<unknown>((resolve) => {
        const doWithout = () => {
          if (!waiting.delete(doWithout)) return;
          resolve(withoutPrimary(args));
        };
        waiting.add(doWithout);
        askPrimary(handler, method, args).then(
          (value) => {
            if (waiting.delete(doWithout)) resolve(value);
          },
          (error: unknown) => {
            if (isSilence(error)) noteSilence();
            doWithout();
          },
        );
      });
    };
  };
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
  // A binding this worker made through the primary is kept here too, as the Redis store keeps its own: while the
  // primary does not answer, this worker's memory decides, and without the copy it bound the token again to whatever
  // IP came next.
  const sharedClaim = store.claim as Store['claim'];
  store.claim = async <T extends StoredValue>(key: string, value: T, ttlSeconds: number) => {
    const held = await sharedClaim<T>(key, value, ttlSeconds);
    if (held !== undefined && silentSince === undefined) await local.claim(key, held, ttlSeconds);
    return held;
  };
  store.health = (): StoreHealth => {
    const health = local.health();
    if (silentSince === undefined) return health;
    probe();
    const since = new Date(silentSince).toISOString();
    const detail =
      `${health.detail}; primary not answering since ${since}: ` +
      'token bindings and session counts kept in this worker';
    return { ...health, ok: false, detail };
  };
  return store as unknown as Store;
}

/** The worker's side of a method the primary runs `everywhere`: its share, from its own memory. */
export function runLocally(local: Store | undefined, method: string, args: readonly unknown[]): unknown {
  if (local === undefined || typeof placementOf(method) !== 'object')
    throw new Error(`store method ${method} is not run here`);
  return callStore(local, method as keyof Store, args);
}
