import type { BridgeConfig } from './schema.js';

/** What Ministra grants in `X-AuthDuration`; its token is long forgotten when a caller checks again after it. */
const MINISTRA_AUTH_DURATION = 36_000;

/** A backend whose timeout is longer than its route's whole budget: the budget always cuts it off first. */
function timeoutsOverBudget(config: BridgeConfig): string[] {
  return Object.entries(config.routes).flatMap(([routeName, route]) =>
    route.backends.flatMap((name) => {
      const timeoutMs = config.backends[name]?.timeoutMs;
      if (timeoutMs === undefined || timeoutMs <= route.timeoutMs) return [];
      return [
        `backends.${name}.timeoutMs (${timeoutMs}) is above routes.${routeName}.timeoutMs (${route.timeoutMs}): ` +
          `on that route the budget cancels the backend first and the default answers`,
      ];
    }),
  );
}

/**
 * Ministra's allows are capped below the lifetime it grants: Flussonic callers re-check once the portal has forgotten
 * the token.
 */
function ministraCappedBelowAuthDuration(config: BridgeConfig): string[] {
  if (config.cache.maxTtl >= MINISTRA_AUTH_DURATION) return [];
  return Object.entries(config.backends)
    .filter(([, backend]) => backend.type === 'ministra')
    .map(
      ([name]) =>
        `cache.maxTtl (${config.cache.maxTtl}) is below the X-AuthDuration of ${MINISTRA_AUTH_DURATION} ` +
        `that backends.${name} (ministra) grants: ` +
        `a Flussonic caller re-checks after maxTtl, the portal no longer knows the token, and the viewer is cut off`,
    );
}

/**
 * Nothing in the config can allow a check: no route asks a backend or allows by default, and no local
 * user, allowing IP rule or securetoken is set. Valid (the shipped example is such a file, to start
 * from), but a bridge deployed like this refuses every viewer.
 */
function deniesEveryCheck(config: BridgeConfig): string[] {
  const routeMayAllow = Object.values(config.routes).some(
    (route) => route.backends.length > 0 || route.default === 'allow',
  );
  const policyMayAllow =
    config.users.length > 0 ||
    config.usersFile !== undefined ||
    config.securetoken !== undefined ||
    config.ipRules.some((rule) => rule.action === 'allow');
  if (routeMayAllow || policyMayAllow) return [];
  return [
    'routes: no route has backends or default: allow, ' +
      'and no users, usersFile, securetoken or ipRules allow rule is set: ' +
      'every check is denied (define backends, or set routes.<name>.default: allow)',
  ];
}

/** Settings that are valid but likely wrong; `check-config` prints them and still exits 0. */
export function configWarnings(config: BridgeConfig): string[] {
  return [...deniesEveryCheck(config), ...timeoutsOverBudget(config), ...ministraCappedBelowAuthDuration(config)];
}
