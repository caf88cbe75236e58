import type { SecuretokenConfig } from '../../config/policySchema.js';
import { isSecuretokenShaped, verifySecuretoken } from '../../policies/securetoken.js';
import { policySource, type StepAnswer } from '../decision.js';
import type { Check, DecisionStep } from '../types.js';
import { atOnce } from './atOnce.js';

export interface SecuretokenInputs {
  readonly settings: SecuretokenConfig | undefined;
  /** `cache.allowTtl`: a valid link's answer holds no longer than an allow would. */
  readonly allowTtl: number;
  readonly denyRedirect: string | undefined;
  /** Milliseconds since the epoch: a link's start and end are judged by it. */
  readonly now: () => number;
}

/**
 * README "Decision order", step 2: a token of the securetoken form decides here, allow or deny
 * (a malformed one too); any other token passes on. Alta (`hash: path`)
 * signs the request path, Astra (`hash: channel`) the channel id.
 */
export function securetokenStep({
  settings,
  allowTtl,
  denyRedirect,
  now: clockNow,
}: SecuretokenInputs): DecisionStep | undefined {
  if (!settings) return undefined;
  const deny = (reason: string): StepAnswer => ({
    allow: false,
    source: policySource('securetoken', reason),
    redirect: denyRedirect,
  });

  /** The token's answer, or undefined when the token is not of the securetoken form (it passes on). */
  const decide = (check: Check): StepAnswer | undefined => {
    const { token, ip, path, channel } = check.viewer;
    if (token === undefined || !isSecuretokenShaped(token)) return undefined;
    const subject = settings.hash === 'path' ? path : channel;
    if (subject === undefined) return deny(settings.hash === 'path' ? 'no path to check' : 'no channel to check');
    if (ip === undefined) return deny('no viewer IP to check');
    const now = Math.floor(clockNow() / 1000);
    const result = verifySecuretoken(
      token,
      { subject, ip },
      { secrets: settings.secret, clockSkew: settings.clockSkew, maxLifetime: settings.maxLifetime, now },
    );
    if (!result.valid) return deny(result.reason);
    // The answer stays valid no longer than the link does.
    const ttlSeconds = Math.max(1, Math.min(allowTtl, result.end - now));
    return { allow: true, source: policySource('securetoken'), ttlSeconds };
  };
  return atOnce(decide);
}
