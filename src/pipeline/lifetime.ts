import type { BridgeConfig } from '../config/schema.js';
import type { StepAnswer } from './decision.js';

export type CacheSettings = BridgeConfig['cache'];

/**
 * How long a decision holds: what the deciding step said (a backend's
 * `X-AuthDuration`), else `allowTtl` for an allow and `denyTtl` for a deny,
 * never past `maxTtl`.
 */
export function lifetimeOf(cache: CacheSettings, answer: Pick<StepAnswer, 'allow' | 'ttlSeconds'>): number {
  return Math.min(answer.ttlSeconds ?? (answer.allow ? cache.allowTtl : cache.denyTtl), cache.maxTtl);
}
