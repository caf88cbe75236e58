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

/** Ministra's allows are capped below the lifetime it grants: Flussonic callers re-check once the portal has forgotten the token. */
function ministraCappedBelowAuthDuration(config: BridgeConfig): string[] {
  if (config.cache.maxTtl >= MINISTRA_AUTH_DURATION) return [];
  return Object.entries(config.backends)
    .filter(([, backend]) => backend.type === 'ministra')
    .map(
      ([name]) =>
        `cache.maxTtl (${config.cache.maxTtl}) is below the X-AuthDuration of ${MINISTRA_AUTH_DURATION} that backends.${name} (ministra) grants: ` +
        `a Flussonic caller re-checks after maxTtl, the portal no longer knows the token, and the viewer is cut off`,
    );
}

/** Settings that are valid but likely wrong; `check-config` prints them and still exits 0. */
export function configWarnings(config: BridgeConfig): string[] {
  return [...timeoutsOverBudget(config), ...ministraCappedBelowAuthDuration(config)];
}
