import { type AskLimits, internalFault, type BackendVerdict, type MiddlewareAdapter } from '../../adapters/types.js';
import type { RouteConfig } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import type { ViewerRequest } from '../../viewer.js';
import type { DecisionSource, StepAnswer } from '../decision.js';
import type { Check, DecisionStep } from '../types.js';

export interface BackendsInputs {
  /** The route's backends, in configuration order. */
  readonly adapters: readonly MiddlewareAdapter[];
  /** Each backend's decision source, by name. */
  readonly sources: ReadonlyMap<string, DecisionSource>;
  readonly mode: RouteConfig['mode'];
  readonly denyRedirect: string | undefined;
  readonly log: Logger;
}

type Asked = { readonly adapter: MiddlewareAdapter; readonly verdict: BackendVerdict };

/**
 * The backend's verdict handed to `then`, in the one then() the check makes:
 * no promise between the adapter's answer and what the route does with it.
 * Adapters promise never to reject (or throw); this keeps a route answering
 * if one ever breaks that promise.
 */
function checkSafely<T>(
  adapter: MiddlewareAdapter,
  viewer: ViewerRequest,
  limits: AskLimits,
  then: (verdict: BackendVerdict) => T | PromiseLike<T>,
): Promise<T> {
  const broken = (error: unknown) => then(internalFault(error));
  try {
    return adapter.check(viewer, limits).then(then, broken);
  } catch (error) {
    return Promise.resolve(error).then(broken);
  }
}

/**
 * Why the other backends are cancelled once one allowed. One reason for all: a
 * fresh DOMException per abort captures a stack trace, which costs more than the
 * request it cancels.
 */
const ANOTHER_ALLOWED = new DOMException('another backend allowed', 'AbortError');

/**
 * All backends at once; the first allow wins and cancels the rest: the one
 * place a miss needs a signal. The others heed the deadline alone.
 */
async function askAny(
  adapters: readonly MiddlewareAdapter[],
  viewer: ViewerRequest,
  deadline: number,
): Promise<Asked[]> {
  const race = new AbortController();
  const limits: AskLimits = { deadline, signal: race.signal };
  // Kept in configuration order, so which deny (and redirect) wins does not depend on timing.
  const answered: (Asked | undefined)[] = adapters.map(() => undefined);
  await new Promise<void>((resolve) => {
    let pending = adapters.length;
    adapters.forEach((adapter, index) => {
      void checkSafely(adapter, viewer, limits, (verdict) => {
        // A backend cancelled because another allowed first says nothing worth reading.
        if (race.signal.aborted) return;
        answered[index] = { adapter, verdict };
        pending -= 1;
        if (verdict.outcome !== 'allow' && pending > 0) return;
        if (pending > 0) race.abort(ANOTHER_ALLOWED);
        resolve();
      });
    });
  });
  return answered.filter((asked) => asked !== undefined);
}

/** One backend after the other until one allows. */
async function askInOrder(
  adapters: readonly MiddlewareAdapter[],
  viewer: ViewerRequest,
  deadline: number,
): Promise<Asked[]> {
  const limits: AskLimits = { deadline };
  const answered: Asked[] = [];
  for (const adapter of adapters) {
    const verdict = await checkSafely(adapter, viewer, limits, (asked) => asked);
    answered.push({ adapter, verdict });
    if (verdict.outcome === 'allow') break;
  }
  return answered;
}

/** The first backend (in configuration order) whose verdict is `outcome`; a loop, not find(): no closure per miss. */
function firstWith(answered: readonly Asked[], outcome: 'allow' | 'deny'): Asked | undefined {
  for (const asked of answered) if (asked.verdict.outcome === outcome) return asked;
  return undefined;
}

/**
 * A redirect any denying backend gave (the first in configuration order): it knows the viewer better than the route.
 */
function backendRedirect(answered: readonly Asked[]): string | undefined {
  for (const { verdict } of answered) {
    if (verdict.outcome === 'deny' && verdict.info.redirect) return verdict.info.redirect;
  }
  return undefined;
}

/**
 * Asks the route's middleware(s). An allow or a deny decides; when every
 * backend failed (or there is none) the check passes on to the default.
 */
export function backendsStep({ adapters, sources, mode, denyRedirect, log }: BackendsInputs): DecisionStep {
  // One backend has nothing to race: asked alone, it needs no signal to cancel the others.
  const only = adapters.length === 1 ? adapters[0] : undefined;
  const ask = mode === 'sequential' ? askInOrder : askAny;
  const reported = new Set<string>();

  function report(check: Check, { adapter, verdict }: Asked): void {
    if (verdict.outcome === 'error') {
      // A skipped backend is logged when its circuit opens and closes, not on every request.
      if (verdict.error === 'circuit-open') return;
      // A cancel reaching here is the budget's (the race's losers are left out): the viewer got the default.
      log.warn('backend failed', {
        route: check.route,
        backend: adapter.name,
        error: verdict.error,
        detail: verdict.detail,
      });
      return;
    }
    for (const note of verdict.notes) {
      // Noted once per backend: a misbehaving middleware repeats itself on every request.
      if (reported.has(`${adapter.name}\0${note}`)) continue;
      reported.add(`${adapter.name}\0${note}`);
      log.warn('backend answer partly ignored', { route: check.route, backend: adapter.name, note });
    }
  }

  /** The answer of the backends that decided, or undefined when none did. */
  function decided(check: Check, answered: readonly Asked[]): StepAnswer | undefined {
    for (const asked of answered) report(check, asked);
    const decisive = firstWith(answered, 'allow') ?? firstWith(answered, 'deny');
    if (!decisive || decisive.verdict.outcome === 'error') return undefined;
    const { info } = decisive.verdict;
    const allow = decisive.verdict.outcome === 'allow';
    return {
      allow,
      source: sources.get(decisive.adapter.name)!,
      answer: info,
      sessionName: allow ? info.sessionName : undefined,
      redirect: allow ? undefined : (backendRedirect(answered) ?? denyRedirect),
      ttlSeconds: allow ? info.authDuration : undefined,
    };
  }

  // then() rather than async/await: one hop fewer on every miss. A route's only backend, the usual
  // case, has its verdict read in the adapter's own then(): two promises fewer than through `ask`.
  const step: DecisionStep = (check, next) => {
    if (adapters.length === 0) return next(check);
    const settle = (answered: readonly Asked[]) => decided(check, answered) ?? next(check);
    if (only === undefined) return ask(adapters, check.viewer, check.startBudget()).then(settle);
    return checkSafely(only, check.viewer, { deadline: check.startBudget() }, (verdict) =>
      settle([{ adapter: only, verdict }]),
    );
  };
  // Asking a middleware is waiting; a route without one passes on at once.
  step.now = (check, next) => (adapters.length === 0 ? next(check) : undefined);
  return step;
}
