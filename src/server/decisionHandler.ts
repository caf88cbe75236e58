import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import type { Decider } from '../pipeline/types.js';
import { fingerprint } from '../secrets.js';
import type { ViewerRequest } from '../viewer.js';
import { callerCheck } from './callers.js';
import type { CallerDialect } from './dialects/types.js';
import { RequestProblem } from './problem.js';

export interface DecisionHandlerOptions {
  readonly decider: Decider;
  readonly trustedCallers: readonly string[];
  readonly maxQueryBytes: number;
  readonly log: Logger;
}

/**
 * Writes a whole plain-text answer with its length: some streaming servers'
 * HTTP clients are minimal. An ASCII body goes as a latin1 string so Node
 * sends head and body in one write; latin1 keeps the head's bytes as they are
 * (UTF-8 session names are already latin1-encoded header text).
 */
function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  const ascii = /^[\x00-\x7f]*$/.test(body);
  const payload = ascii ? body : Buffer.from(body, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(payload)) });
  if (ascii) res.end(body, 'latin1');
  else res.end(payload);
}

export function refuse(res: ServerResponse, problem: RequestProblem, headers: Record<string, string> = {}): void {
  send(res, problem.status, `${problem.message}\n`, headers);
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
  const identify = callerCheck(trustedCallers);

  return async (dialect: CallerDialect, route: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const { address: caller, trusted } = identify(req.socket.remoteAddress);
    const logLine = (fields: () => Record<string, unknown>) => {
      if (!log.isInfoEnabled()) return;
      log.info('decision', { route, dialect: dialect.name, caller, ...fields(), latencyMs: +(performance.now() - started).toFixed(2) });
    };
    try {
      if (!trusted) throw new RequestProblem(403, 'caller is not in trustedCallers');
      if (!decider.hasRoute(route)) throw new RequestProblem(404, `no route named "${route}"`);
      const viewer = dialect.readViewer(req, maxQueryBytes);
      const decision = await decider.decide(route, viewer);
      send(res, decision.allow ? 200 : 403, decision.allow ? 'allow\n' : 'deny\n', dialect.answerHeaders(decision));
      logLine(() => ({ ...viewerFields(viewer), decision: decision.allow ? 'allow' : 'deny', by: decision.decidedBy, cache: decision.cache, status: res.statusCode }));
    } catch (error) {
      if (error instanceof RequestProblem) {
        refuse(res, error);
        logLine(() => ({ decision: 'refused', status: error.status, reason: error.message }));
        return;
      }
      // A bug must not become a 5xx: the streaming server would let the viewer in.
      log.error('request failed', { route, error: error instanceof Error ? error.message : String(error) });
      if (res.headersSent) res.destroy();
      else refuse(res, new RequestProblem(403, 'denied: the bridge could not decide'));
      logLine(() => ({ decision: 'deny', by: 'internal-error', status: 403 }));
    }
  };
}
