import { isSecuretokenShaped, verifySecuretoken } from '../../policies/securetoken.js';
import type { DecisionStep, RouteContext, Verdict } from '../types.js';

/**
 * Step 2 of the README's "Decision order": a token of the securetoken form decides here, allow or deny
 * (a malformed one too); any other token passes on. Alta (`hash: path`)
 * signs the request path, Astra (`hash: channel`) the channel id.
 */
export function securetokenStep({ config, route }: RouteContext): DecisionStep | undefined {
  const settings = config.securetoken;
  if (!settings) return undefined;
  const deny = (reason: string): Verdict => ({
    allow: false,
    decidedBy: `securetoken (${reason})`,
    redirect: route.denyRedirect,
  });

  return async (check, next) => {
    const { token, ip, path, channel } = check.viewer;
    if (token === undefined || !isSecuretokenShaped(token)) return next(check);
    const subject = settings.hash === 'path' ? path : channel;
    if (subject === undefined) return deny(settings.hash === 'path' ? 'no path to check' : 'no channel to check');
    if (ip === undefined) return deny('no viewer IP to check');
    const now = Math.floor(Date.now() / 1000);
    const verdict = verifySecuretoken(
      token,
      { subject, ip },
      { secrets: settings.secret, clockSkew: settings.clockSkew, maxLifetime: settings.maxLifetime, now },
    );
    if (!verdict.valid) return deny(verdict.reason);
    // The answer stays valid no longer than the link does.
    const ttlSeconds = Math.max(1, Math.min(config.cache.allowTtl, verdict.end - now));
    return { allow: true, decidedBy: 'securetoken', ttlSeconds };
  };
}
