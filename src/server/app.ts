import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { CALLER_PROTOCOLS } from '../protocols/registry.js';
import { decisionHandler, refuse, type DecisionHandlerOptions } from './decisionHandler.js';
import { earlyRefusals } from './earlyRefusal.js';
import { callerRouting } from './routing.js';

export interface AppOptions extends DecisionHandlerOptions {
  /** What `/healthz` reports beyond "serving" (store and backend state). */
  readonly health?: () => object;
}

const HEALTH = { path: '/healthz', methods: ['GET', 'HEAD'] } as const;

/**
 * The bridge's request listener: caller protocols in, 200/403 out; knows
 * nothing of middleware. Plain decision requests go straight to the decision
 * handler; everything else is resolved from the same list of protocols
 * (/healthz, 404, 405 with Allow, a malformed path). No framework: every
 * route is derived from CALLER_PROTOCOLS, and one more router around it
 * would only be a second list to keep in step and a cost on the busiest path.
 */
export function createRequestListener(options: AppOptions): RequestListener {
  const { log, health, observer } = options;
  const decide = decisionHandler(options);
  const refused = earlyRefusals(log, observer);
  const routing = callerRouting(CALLER_PROTOCOLS, [HEALTH]);

  const answerHealth = (res: ServerResponse) => {
    const body = JSON.stringify({ status: 'ok', ...health?.() });
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  };

  return (req: IncomingMessage, res: ServerResponse) => {
    if (routing.fast(req, res, decide)) return;
    const resolved = routing.resolve(req);
    if (resolved.kind === 'decide') void decide(resolved.routed.protocol, resolved.routed.route, req, res);
    else if (resolved.kind === 'service') answerHealth(res);
    else {
      refused(resolved.problem.status, resolved.problem.message, resolved.protocol);
      refuse(res, resolved.problem, resolved.allow === undefined ? {} : { Allow: resolved.allow });
    }
  };
}
