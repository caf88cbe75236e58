import type { MiddlewareAdapter } from '../../src/adapters/types.js';
import { validateConfig } from '../../src/config/load.js';
import type { Check, RouteContext, Verdict } from '../../src/pipeline/types.js';
import { memoryStore } from '../../src/store/memory.js';
import type { ViewerRequest } from '../../src/viewer.js';
import { memoryLogger } from './bridge.js';

/** A backend that is never asked: steps tested on their own get their verdicts from `next`. */
const unasked = (name: string): MiddlewareAdapter => ({
  name,
  check: () => Promise.reject(new Error(`backend ${name} was asked; the test gives verdicts through next()`)),
});

/**
 * What a route's steps are built from, for the route `default` of a validated
 * `document`, with a fresh memory store; `close` when done.
 */
export function routeContext(document: Record<string, unknown>): RouteContext & { close(): Promise<void> } {
  const config = validateConfig(document, 'test config', {});
  const route = config.routes.default!;
  const store = memoryStore({ maxEntries: 1000 });
  return {
    name: 'default',
    route,
    adapters: route.backends.map(unasked),
    config,
    store,
    log: memoryLogger([]),
    close: () => store.close(),
  };
}

/** A check on route `default`, with a budget that never runs out. */
export function checkOf(viewer: Partial<ViewerRequest>): Check {
  return {
    route: 'default',
    viewer: { dialect: 'cesbo', rawQuery: '', ...viewer },
    signal: new AbortController().signal,
  };
}

/** A `next` that answers `verdict` and counts its calls. */
export function nextAnswering(verdict: Verdict) {
  const next = Object.assign(
    async () => {
      next.calls += 1;
      return verdict;
    },
    { calls: 0 },
  );
  return next;
}
