import type { BridgeConfig } from '../config/schema.js';
import type { Store } from '../store/types.js';
import type { MiddlewareAdapter } from '../adapters/types.js';
import type { Logger } from '../log.js';
import type { ViewerRequest } from '../viewer.js';
import type { LocalUsers } from '../policies/users/localUsers.js';
import { BudgetedCheck } from './budget.js';
import { backendsStep } from './steps/backends.js';
import { connectionLimitStep } from './steps/connectionLimit.js';
import { ipRulesStep } from './steps/ipRules.js';
import { localUsersStep } from './steps/localUsers.js';
import { publishStep } from './steps/publish.js';
import { securetokenStep } from './steps/securetoken.js';
import { cacheStep } from './steps/cache.js';
import { tokenBindingStep } from './steps/tokenBinding.js';
import { defaultAction } from './steps/defaultAction.js';
import {
  lifetimeOf,
  type Check,
  type Decider,
  type Decision,
  type DecisionStep,
  type RouteContext,
  type Verdict,
} from './types.js';

type Run = (check: Check) => Promise<Verdict>;

function compose(steps: readonly DecisionStep[], last: () => Promise<Verdict>): Run {
  return steps.reduceRight<Run>(
    (next, step) => (check) => step(check, next),
    () => last(),
  );
}

/** The steps of the decision order, as a trace names them; `default` is the route's last word. */
export type StepName =
  | 'publish'
  | 'ip-rules'
  | 'securetoken'
  | 'local-users'
  | 'connection-limit'
  | 'token-binding'
  | 'cache'
  | 'backends'
  | 'default';

/**
 * Wraps every step of a route's pipeline, `default` included: a trace watches
 * (or replaces) each one this way. Without it nothing is wrapped, so the
 * normal path pays nothing for tracing.
 */
export type StepWrapper = (name: StepName, step: DecisionStep, context: RouteContext) => DecisionStep;

/**
 * The decision order of the README, in order; each step decides or passes on,
 * the route's default has the last word. A step that has nothing configured is left out.
 */
function routePipeline(context: RouteContext, wrap: StepWrapper | undefined): Run {
  const named: [StepName, DecisionStep | undefined][] = [
    ['publish', publishStep(context)],
    ['ip-rules', ipRulesStep(context)],
    ['securetoken', securetokenStep(context)],
    ['local-users', localUsersStep(context)],
    ['connection-limit', connectionLimitStep(context)],
    ['token-binding', tokenBindingStep(context)],
    ['cache', cacheStep(context)],
    ['backends', backendsStep(context)],
  ];
  const present = named.filter((entry): entry is [StepName, DecisionStep] => entry[1] !== undefined);
  const last = defaultAction(context.route);
  if (!wrap)
    return compose(
      present.map(([, step]) => step),
      last,
    );
  const decideDefault: DecisionStep = () => last();
  return compose(
    [...present, ['default', decideDefault] as const].map(([name, step]) => wrap(name, step, context)),
    last,
  );
}

function settleTtl(verdict: Verdict, cache: BridgeConfig['cache']): Decision {
  // A lifetime already within bounds (a cache hit's remaining time, say) needs no copy on the busiest path.
  if (verdict.ttlSeconds !== undefined && verdict.ttlSeconds <= cache.maxTtl) return verdict as Decision;
  return { ...verdict, ttlSeconds: lifetimeOf(cache, verdict) };
}

/** Every configured route as a pipeline, each bounded by the route's time budget. */
export function createDecider(
  config: BridgeConfig,
  adapters: ReadonlyMap<string, MiddlewareAdapter>,
  store: Store,
  log: Logger,
  localUsers?: LocalUsers,
  options: { readonly wrapStep?: StepWrapper } = {},
): Decider {
  const routes = new Map(
    Object.entries(config.routes).map(([name, route]) => {
      const routeAdapters = route.backends.map((backend) => adapters.get(backend)!);
      const onBudgetSpent = defaultAction(route);
      const run = routePipeline(
        { name, route, adapters: routeAdapters, config, store, log, localUsers },
        options.wrapStep,
      );
      return [name, { route, run, onBudgetSpent }] as const;
    }),
  );

  return {
    hasRoute: (name) => routes.has(name),
    async decide(name: string, viewer: ViewerRequest): Promise<Decision> {
      const entry = routes.get(name);
      if (!entry) throw new Error(`unknown route ${name}`);
      const check = new BudgetedCheck(name, viewer, entry.route.timeoutMs);
      // When the budget is spent the steps are cancelled and finish with what they have (a deny
      // already received still counts). Should a step ignore the cancel, the default answers.
      return settleTtl(await check.within(entry.run(check), entry.onBudgetSpent), config.cache);
    },
  };
}
