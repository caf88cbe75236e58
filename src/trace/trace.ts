import { performance } from 'node:perf_hooks';
import winston from 'winston';
import type { BridgeConfig } from '../config/schema.js';
import type { CircuitState } from '../resilience/circuitBreaker.js';
import { createDecider } from '../pipeline/pipeline.js';
import { loadLocalUsers } from '../policies/users/localUsers.js';
import { secretEnvValues } from '../secrets.js';
import { RequestProblem } from '../requestProblem.js';
import { memoryStore } from '../store/memory.js';
import type { ViewerRequest } from '../viewer.js';
import { tracedAdapters } from './backendRecorder.js';
import { headerToText } from '../headerText.js';
import { answerHeadersOf, viewerOf, type CallerRequest } from './callerRequest.js';
import { maskedViewer, scrubberFor } from './mask.js';
import { stepRecorder, tracedDecision } from './stepRecorder.js';
import type { Trace, TraceStep } from './types.js';

export type { CallerRequest } from './callerRequest.js';
export { RequestProblem } from '../requestProblem.js';
export type * from './types.js';

/** What to trace: a viewer already read, or a check as a streaming server sends it. */
export type TraceInput = { readonly viewer: ViewerRequest } | CallerRequest;

export interface TraceOptions {
  /**
   * For `${ENV}` in the users file, and values of secret-named variables masked in the output (default: process.env).
   */
  readonly env?: NodeJS.ProcessEnv;
  /** Milliseconds, for the times a trace reports (default: performance.now). */
  readonly now?: () => number;
  /**
   * The running bridge's circuits by backend, when there is one (the admin trace): a trace asks every backend, while
   * the bridge skips one whose circuit is open, so the two can differ, and the trace says why.
   */
  readonly circuits?: Readonly<Record<string, { readonly circuit: CircuitState }>>;
}

/** The backends step's note when the running bridge skips some of the route's backends now; undefined when none. */
function circuitNote(backends: readonly string[], circuits: TraceOptions['circuits']): string | undefined {
  const skipped = backends.filter((name) => circuits?.[name]?.circuit === 'open');
  if (skipped.length === 0) return undefined;
  const names = skipped.join(', ');
  return `the running bridge skips ${names} now (circuit open): the trace asked ${skipped.length === 1 ? 'it' : 'them'} anyway, but a check now is decided without ${skipped.length === 1 ? 'it' : 'them'}`;
}

function viewerFrom(input: TraceInput, config: BridgeConfig): ViewerRequest {
  return 'viewer' in input ? input.viewer : viewerOf(input, config.limits.maxQueryBytes);
}

/** Steps the route's budget cut short are shown as such, not as deciding. */
function budgetNote(steps: readonly TraceStep[], budgetMs: number, elapsedMs: number): string | undefined {
  if (elapsedMs < budgetMs && steps.every((step) => step.result !== 'unfinished')) return undefined;
  return `the route's budget (timeoutMs ${budgetMs}) ran out: steps still running were cancelled and the route's default answered`;
}

/**
 * Decides one check as `route` would, step by step: live against the
 * middlewares, without the cache (nothing read, nothing written), without
 * circuit breakers, with a store of its own so that no binding or session of
 * a running bridge is touched. Every secret (the viewer's token, password and
 * `auth=`, credentials and keys in backend URLs, secret environment values)
 * is masked in what it returns. Rejects with a RequestProblem (the refusal
 * the decision listener gives) for an unknown route (404) or bad input
 * (400, 403); with a ConfigError when the users file is unusable.
 */
export async function traceCheck(
  config: BridgeConfig,
  route: string,
  input: TraceInput,
  options: TraceOptions = {},
): Promise<Trace> {
  const routeConfig = config.routes[route];
  if (!routeConfig)
    throw new RequestProblem(
      404,
      `no route named ${JSON.stringify(route)} (routes: ${Object.keys(config.routes).join(', ')})`,
    );
  const viewer = viewerFrom(input, config);
  const env = options.env ?? process.env;
  const now = options.now ?? (() => performance.now());
  const scrub = scrubberFor(viewer, secretEnvValues(env));
  const log = winston.createLogger({ silent: true });
  const recorder = stepRecorder(scrub, now);
  const backends = tracedAdapters(config.backends, scrub, now);
  const store = memoryStore({ maxEntries: 1000 });
  // Read in the users file's thread: an admin trace must not parse a large users file on the decision loop.
  const localUsers =
    config.users.length > 0 || config.usersFile !== undefined ? await loadLocalUsers(config, log, env) : undefined;
  try {
    const decider = createDecider(config, backends.adapters, store, log, localUsers, { wrapStep: recorder.wrapStep });
    const started = now();
    const decision = await decider.decide(route, viewer);
    const durationMs = now() - started;
    await backends.settled();
    const skipping = circuitNote(routeConfig.backends, options.circuits);
    const steps = recorder
      .steps()
      .map((step) =>
        step.step === 'backends' ? { ...step, backends: backends.asked(), note: skipping ?? step.note } : step,
      );
    return {
      route,
      dialect: viewer.dialect,
      viewer: maskedViewer(viewer, scrub),
      steps,
      decision: {
        ...tracedDecision(decision, scrub),
        status: decision.allow ? 200 : 403,
        headers: Object.fromEntries(
          // The values as the caller reads them: UTF-8 bytes (a Cyrillic session name) shown as their text, not one
          // character per byte.
          Object.entries(answerHeadersOf(viewer.dialect, decision)).map(([name, value]) => [
            name,
            scrub(headerToText(value) ?? value),
          ]),
        ),
      },
      note: budgetNote(steps, routeConfig.timeoutMs, durationMs),
      durationMs,
    };
  } finally {
    localUsers?.close();
    await backends.close();
    await store.close();
  }
}
