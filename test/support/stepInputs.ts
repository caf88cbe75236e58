import { validateConfig } from '../../src/config/load.js';
import type { StepAnswer } from '../../src/pipeline/decision.js';
import type { Check } from '../../src/pipeline/types.js';
import { memoryStore } from '../../src/store/memory.js';
import type { ViewerRequest } from '../../src/viewer.js';

/**
 * The config, its route `default` and a fresh memory store of a validated `document`: what a step
 * tested on its own has its inputs picked from (as src/pipeline/pipeline.ts picks them); `close` when done.
 */
export function stepInputsFrom(document: Record<string, unknown>) {
  const config = validateConfig(document, 'test config', {});
  const route = config.routes.default!;
  const store = memoryStore({ maxEntries: 1000 });
  return { config, route, store, close: () => store.close() };
}

/** A check on route `default`, with a budget that never runs out. */
export function checkOf(viewer: Partial<ViewerRequest>): Check {
  return {
    route: 'default',
    viewer: { dialect: 'cesbo', rawQuery: '', ...viewer },
    startBudget: () => Infinity,
  };
}

/** A `next` that answers `answer` and counts its calls. */
export function nextAnswering(answer: StepAnswer) {
  const next = Object.assign(
    async () => {
      next.calls += 1;
      return answer;
    },
    { calls: 0 },
  );
  return next;
}
