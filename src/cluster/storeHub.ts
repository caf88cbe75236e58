import type { Store } from '../store/types.js';
import { ChannelError, type Handlers } from './channel.js';
import { callStore, placementOf } from './storePlacement.js';

/** Runs one store method in one worker's own memory (its cached decisions); rejects when the worker does not answer. */
export type AskWorker = (method: keyof Store, args: readonly unknown[]) => Promise<unknown>;

/**
 * The primary's side of the workers' shared memory store: what PLACEMENT
 * puts in `shared` runs here, what it puts `everywhere` runs here and in
 * every worker, answers merged. A worker that does not answer makes the whole
 * answer undefined, as a store that could not answer says (a revoke then
 * reports itself incomplete).
 */
export function storeHub(store: Store, workers: () => readonly AskWorker[]): Handlers {
  return {
    store(name: string, args: readonly unknown[]) {
      const placement = placementOf(name);
      if (placement !== 'shared' && placement !== 'byKey') throw new ChannelError(`store method ${name} is not shared`);
      return callStore(store, name as keyof Store, args);
    },
    async storeEverywhere(name: string, args: readonly unknown[]) {
      const placement = placementOf(name);
      if (typeof placement !== 'object') throw new ChannelError(`store method ${name} is not run everywhere`);
      const failed = Symbol('no answer');
      const answers = await Promise.all([
        callStore(store, name as keyof Store, args),
        ...workers().map((ask) => ask(name as keyof Store, args).catch(() => failed)),
      ]);
      return answers.includes(failed) || answers.includes(undefined) ? undefined : placement.everywhere(answers);
    },
  };
}
