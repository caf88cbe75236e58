import type { MiddlewareAdapter } from '../adapters/types.js';
import type { BridgeConfig, RouteConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { LocalUsers } from '../policies/users/localUsers.js';
import type { Store } from '../store/types.js';
import type { ViewerRequest } from '../viewer.js';
import { sessionAdmitter } from './admission.js';
import { BudgetedCheck } from './budget.js';
import { decisionKeyOf, defaultKeyParts } from './cacheKey.js';
import { backendSource, type Decision, type DecisionSource, type StepAnswer, withLifetime } from './decision.js';
import { type CacheSettings, lifetimeOf } from './lifetime.js';
import { backendsStep } from './steps/backends.js';
import { cacheStep } from './steps/cache.js';
import { connectionLimitStep } from './steps/connectionLimit.js';
import { defaultAnswer } from './steps/defaultAction.js';
import { ipRulesStep } from './steps/ipRules.js';
import { localUsersStep } from './steps/localUserCheck.js';
import { publishStep } from './steps/publish.js';
import { securetokenStep } from './steps/securetoken.js';
import { tokenBindingStep } from './steps/tokenBinding.js';
import type { Decider, DecisionStep, NextNow } from './types.js';
import { composeNow, composeWaiting, type NamedStep, type Run, type StepName } from './compose.js';
import { type Clock, systemClock } from '../clock.js';

export type { StepName } from './compose.js';

/** What a trace sees of the route a step belongs to (to say what each step looked at). */
export interface RouteSettings {
  readonly name: string;
  readonly route: RouteConfig;
  readonly securetoken: BridgeConfig['securetoken'];
}

/**
 * Wraps every step of a route's pipeline, `default` included: a trace watches
 * (or replaces) each one this way. Without it nothing is wrapped, so the
 * normal path pays nothing for tracing.
 */
export type StepWrapper = (name: StepName, step: DecisionStep, route: RouteSettings) => DecisionStep;

/** What the steps of every route are built from. */
interface Shared {
  readonly config: BridgeConfig;
  readonly store: Store;
  readonly log: Logger;
  readonly localUsers: LocalUsers | undefined;
  /** Milliseconds since the epoch: what freshness, expiry and signed links are judged by. */
  readonly now: () => number;
}

/**
 * The decision order of the README, in order; each step decides or passes on,
 * the route's default has the last word. A step that has nothing configured is
 * left out. Each step gets only what it reads, picked here.
 */
function routeSteps(route: RouteConfig, adapters: readonly MiddlewareAdapter[], shared: Shared): NamedStep[] {
  const { config, store, log, now } = shared;
  const { denyRedirect } = route;
  const cache: CacheSettings = config.cache;
  const admit = sessionAdmitter(store, config.sessions.idleTtl);
  const sources = new Map<string, DecisionSource>(
    adapters.map((adapter) => [adapter.name, backendSource(adapter.name)]),
  );
  const asksBackends = adapters.length > 0;
  const backends = route.backends.map((name) => config.backends[name]!);
  const caching = cache.enabled && asksBackends;
  const keyOf = decisionKeyOf(cache.key ?? defaultKeyParts(backends));
  const named: (readonly [StepName, DecisionStep | undefined])[] = [
    ['publish', publishStep({ publish: route.publish, denyRedirect })],
    ['ip-rules', ipRulesStep({ rules: config.ipRules, denyRedirect })],
    ['securetoken', securetokenStep({ settings: config.securetoken, allowTtl: cache.allowTtl, denyRedirect, now })],
    ['local-users', localUsersStep({ users: shared.localUsers, admit, allowTtl: cache.allowTtl, denyRedirect, now })],
    ['connection-limit', asksBackends ? connectionLimitStep({ admit, denyRedirect }) : undefined],
    [
      'token-binding',
      tokenBindingStep({
        binding: new Set(route.backends.filter((name) => config.backends[name]!.bindTokenToIp)),
        store,
        lifetime: (answer) => lifetimeOf(cache, answer),
        denyRedirect,
        forgetCached: caching
          ? (check) =>
              void store.drop({ keys: [keyOf(check.route, check.viewer)], sessionsOf: [] }).catch(() => undefined)
          : undefined,
      }),
    ],
    ['cache', caching ? cacheStep({ settings: cache, store, keyOf, sources, now }) : undefined],
    ['backends', backendsStep({ adapters, sources, mode: route.mode, denyRedirect, log })],
  ];
  return named.filter((entry): entry is NamedStep => entry[1] !== undefined);
}

interface RouteRun {
  readonly budgetMs: number;
  readonly run: Run;
  /** Undefined when a step of the route cannot answer without waiting (or the route is traced). */
  readonly runNow: NextNow | undefined;
  readonly fallback: () => Promise<StepAnswer>;
}

function routeRun(
  name: string,
  route: RouteConfig,
  adapters: readonly MiddlewareAdapter[],
  shared: Shared,
  wrap: StepWrapper | undefined,
): RouteRun {
  const last = defaultAnswer(route);
  const fallback = () => Promise.resolve(last);
  const steps = routeSteps(route, adapters, shared);
  if (!wrap)
    return { budgetMs: route.timeoutMs, run: composeWaiting(steps, last), runNow: composeNow(steps, last), fallback };
  const settings: RouteSettings = { name, route, securetoken: shared.config.securetoken };
  const decideDefault: DecisionStep = () => fallback();
  const wrapped = [...steps, ['default', decideDefault] as NamedStep].map(
    ([stepName, step]): NamedStep => [stepName, wrap(stepName, step, settings)],
  );
  // A trace watches every step as it waits: it never takes the immediate path.
  return { budgetMs: route.timeoutMs, run: composeWaiting(wrapped, last), runNow: undefined, fallback };
}

function settleTtl(answer: StepAnswer, cache: CacheSettings): Decision {
  // A lifetime already within bounds (a cache hit's remaining time, say) needs no copy on the busiest path.
  if (answer.ttlSeconds !== undefined && answer.ttlSeconds <= cache.maxTtl) return answer as Decision;
  return withLifetime(answer, lifetimeOf(cache, answer));
}

/** Every configured route as a pipeline, each bounded by the route's time budget. */
export function createDecider(
  config: BridgeConfig,
  adapters: ReadonlyMap<string, MiddlewareAdapter>,
  store: Store,
  log: Logger,
  localUsers?: LocalUsers,
  options: { readonly wrapStep?: StepWrapper; readonly clock?: Clock } = {},
): Decider {
  const clock = options.clock ?? systemClock;
  const shared: Shared = { config, store, log, localUsers, now: () => clock.now() };
  const routes = new Map(
    Object.entries(config.routes).map(([name, route]) => {
      const routeAdapters = route.backends.map((backend) => adapters.get(backend)!);
      return [name, routeRun(name, route, routeAdapters, shared, options.wrapStep)] as const;
    }),
  );
  const routeOf = (name: string): RouteRun => {
    const entry = routes.get(name);
    if (!entry) throw new Error(`unknown route ${name}`);
    return entry;
  };

  return {
    hasRoute: (name) => routes.has(name),
    decideNow(name, viewer) {
      const { runNow, budgetMs } = routeOf(name);
      if (!runNow) return undefined;
      // Nothing on this path waits, so the budget is never started: the check costs one small object.
      const answer = runNow(new BudgetedCheck(name, viewer, budgetMs));
      return answer && settleTtl(answer, config.cache);
    },
    async decide(name: string, viewer: ViewerRequest): Promise<Decision> {
      const { run, budgetMs, fallback } = routeOf(name);
      const check = new BudgetedCheck(name, viewer, budgetMs);
      // When the budget is spent the steps are cancelled and finish with what they have (a deny
      // already received still counts). Should a step ignore the cancel, the default answers.
      return settleTtl(await check.within(run(check), fallback), config.cache);
    },
  };
}
