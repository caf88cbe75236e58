import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import type { Decider } from '../pipeline/types.js';
import { fingerprint } from '../secrets.js';
import type { ViewerRequest } from '../viewer.js';
import { trustedCallerCheck } from './callers.js';
import type { CallerDialect } from './dialects/types.js';
import { RequestProblem } from './problem.js';

export interface DecisionHandlerOptions {
  readonly decider: Decider;
  readonly trustedCallers: readonly string[];
  readonly maxQueryBytes: number;
  readonly log: Logger;
}

// Buffers, not strings: with a string body Node encodes the headers as UTF-8 too,
// which would mangle UTF-8 session names relayed from a middleware.
const ALLOW_BODY = Buffer.from('allow\n');
const DENY_BODY = Buffer.from('deny\n');

export function refuse(res: ServerResponse, problem: RequestProblem, headers: Record<string, string> = {}): void {
  res.writeHead(problem.status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(Buffer.from(`${problem.message}\n`));
}

function viewerFields(viewer: ViewerRequest) {
  return {
    channel: viewer.channel,
    ip: viewer.ip,
    session: viewer.session,
    token: viewer.token === undefined ? undefined : fingerprint(viewer.token),
    login: viewer.credentials?.login,
  };
}

/**
 * Answers one viewer check in a caller's dialect, and logs it. Works on plain
 * node:http objects so it stays independent of the framework around it.
 */
export function decisionHandler({ decider, trustedCallers, maxQueryBytes, log }: DecisionHandlerOptions) {
  const isTrusted = trustedCallerCheck(trustedCallers);

  return async (dialect: CallerDialect, route: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const caller = req.socket.remoteAddress;
    const logLine = (fields: () => Record<string, unknown>) => {
      if (!log.isInfoEnabled()) return;
      log.info('decision', { route, dialect: dialect.name, caller, ...fields(), latencyMs: +(performance.now() - started).toFixed(2) });
    };
    try {
      if (!isTrusted(caller)) throw new RequestProblem(403, 'caller is not in trustedCallers');
      if (!decider.hasRoute(route)) throw new RequestProblem(404, `no route named "${route}"`);
      const viewer = dialect.readViewer(req, maxQueryBytes);
      const decision = await decider.decide(route, viewer);
      res.writeHead(decision.allow ? 200 : 403, { 'content-type': 'text/plain; charset=utf-8', ...dialect.answerHeaders(decision) });
      res.end(decision.allow ? ALLOW_BODY : DENY_BODY);
      logLine(() => ({ ...viewerFields(viewer), decision: decision.allow ? 'allow' : 'deny', by: decision.decidedBy, status: res.statusCode }));
    } catch (error) {
      if (!(error instanceof RequestProblem)) throw error;
      refuse(res, error);
      logLine(() => ({ decision: 'refused', status: error.status, reason: error.message }));
    }
  };
}
