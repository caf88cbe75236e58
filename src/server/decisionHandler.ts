import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { decisionsThrough, type DecisionLog, type Logger } from '../log.js';
import type { Decider } from '../pipeline/types.js';
import { fingerprint } from '../secrets.js';
import { callerCheck } from './callers.js';
import type { CallerDialect } from './dialects/types.js';
import { RequestProblem } from './problem.js';

export interface DecisionHandlerOptions {
  readonly decider: Decider;
  readonly trustedCallers: readonly string[];
  readonly maxQueryBytes: number;
  readonly log: Logger;
  /** Where decision lines go; by default through `log`. */
  readonly decisions?: DecisionLog;
}

/**
 * Writes a whole plain-text answer with its length: some streaming servers'
 * HTTP clients are minimal. An ASCII body goes as a latin1 string so Node
 * sends head and body in one write; latin1 keeps the head's bytes as they are
 * (UTF-8 session names are already latin1-encoded header text).
 */
function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>, ascii = /^[\x00-\x7f]*$/.test(body)): void {
  const payload = ascii ? body : Buffer.from(body, 'utf8');
  headers['Content-Type'] = 'text/plain; charset=utf-8';
  headers['Content-Length'] = String(ascii ? body.length : payload.length);
  res.writeHead(status, headers);
  if (ascii) res.end(body, 'latin1');
  else res.end(payload);
}

export function refuse(res: ServerResponse, problem: RequestProblem, headers: Record<string, string> = {}): void {
  send(res, problem.status, `${problem.message}\n`, { ...headers });
}

/**
 * Answers one viewer check in a caller's dialect, and logs it. Works on plain
 * node:http objects so it stays independent of the framework around it.
 */
export function decisionHandler({ decider, trustedCallers, maxQueryBytes, log, decisions = decisionsThrough(log) }: DecisionHandlerOptions) {
  const identify = callerCheck(trustedCallers);

  return async (dialect: CallerDialect, route: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const { address: caller, trusted } = identify(req.socket.remoteAddress);
    const latencyMs = () => Math.round((performance.now() - started) * 100) / 100;
    try {
      if (!trusted) throw new RequestProblem(403, 'caller is not in trustedCallers');
      if (!decider.hasRoute(route)) throw new RequestProblem(404, `no route named "${route}"`);
      const viewer = dialect.readViewer(req, maxQueryBytes);
      const decision = await decider.decide(route, viewer);
      send(res, decision.allow ? 200 : 403, decision.allow ? 'allow\n' : 'deny\n', dialect.answerHeaders(decision), true);
      decisions({
        route,
        dialect: dialect.name,
        caller,
        channel: viewer.channel,
        ip: viewer.ip,
        session: viewer.session,
        token: viewer.token === undefined ? undefined : fingerprint(viewer.token),
        login: viewer.credentials?.login,
        decision: decision.allow ? 'allow' : 'deny',
        by: decision.decidedBy,
        cache: decision.cache,
        status: res.statusCode,
        // The caller hung up before the decision was ready: nothing reached it.
        undelivered: res.destroyed || req.socket.destroyed || undefined,
        latencyMs: latencyMs(),
      });
    } catch (error) {
      if (error instanceof RequestProblem) {
        refuse(res, error);
        decisions({ route, dialect: dialect.name, caller, decision: 'refused', status: error.status, reason: error.message, latencyMs: latencyMs() });
        return;
      }
      // A bug must not become a 5xx: the streaming server would let the viewer in.
      log.error('request failed', { route, error: error instanceof Error ? error.message : String(error) });
      if (res.headersSent) res.destroy();
      else refuse(res, new RequestProblem(403, 'denied: the bridge could not decide'));
      decisions({ route, dialect: dialect.name, caller, decision: 'deny', by: 'internal-error', status: 403, latencyMs: latencyMs() });
    }
  };
}
