import { performance } from 'node:perf_hooks';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import type { Decider, Decision } from '../pipeline/types.js';
import { fingerprint } from '../secrets.js';
import type { ViewerRequest } from '../viewer.js';
import { trustedCallerCheck } from './callers.js';
import { cesboDialect } from './dialects/cesbo.js';
import { flussonicDialect } from './dialects/flussonic.js';
import type { CallerDialect } from './dialects/types.js';
import { RequestProblem } from './problem.js';

export interface AppOptions {
  readonly decider: Decider;
  readonly trustedCallers: readonly string[];
  readonly maxQueryBytes: number;
  readonly log: Logger;
  /** Extra fields for `/healthz` (e.g. the state of a shared store). */
  readonly health?: () => Record<string, unknown>;
}

// Buffers, not strings: with a string body Node encodes the headers as UTF-8 too,
// which would mangle UTF-8 session names relayed from a middleware.
const ALLOW_BODY = Buffer.from('allow\n');
const DENY_BODY = Buffer.from('deny\n');

function refuse(res: Response, problem: RequestProblem): void {
  res.status(problem.status).type('text/plain').send(`${problem.message}\n`);
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

/** The HTTP face of the bridge: caller dialects in, 200/403 out. Knows nothing of middleware. */
export function createApp({ decider, trustedCallers, maxQueryBytes, log, health }: AppOptions): express.Express {
  const isTrusted = trustedCallerCheck(trustedCallers);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // The dialects parse queries themselves, strictly; express's parser would turn `a[]=` into arrays.
  app.set('query parser', false);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...health?.() });
  });

  const handle = (dialect: CallerDialect) => async (req: Request, res: Response) => {
    const started = performance.now();
    const route = typeof req.params.route === 'string' ? req.params.route : 'default';
    const caller = req.socket.remoteAddress;
    const logLine = (fields: Record<string, unknown>) =>
      log.info('decision', { route, dialect: dialect.name, caller, ...fields, latencyMs: +(performance.now() - started).toFixed(2) });
    try {
      if (!isTrusted(caller)) throw new RequestProblem(403, 'caller is not in trustedCallers');
      if (!decider.hasRoute(route)) throw new RequestProblem(404, `no route named "${route}"`);
      const viewer = dialect.readViewer(req, maxQueryBytes);
      const decision: Decision = await decider.decide(route, viewer);
      res
        .status(decision.allow ? 200 : 403)
        .set(dialect.answerHeaders(decision))
        .type('text/plain')
        .send(decision.allow ? ALLOW_BODY : DENY_BODY);
      logLine({ ...viewerFields(viewer), decision: decision.allow ? 'allow' : 'deny', by: decision.decidedBy, status: res.statusCode });
    } catch (error) {
      if (!(error instanceof RequestProblem)) throw error;
      refuse(res, error);
      logLine({ decision: 'refused', status: error.status, reason: error.message });
    }
  };

  const authPaths = ['/auth', '/auth/:route'];
  const flussonicPaths = ['/flussonic', '/flussonic/:route'];
  app.get(authPaths, handle(cesboDialect));
  app.get(flussonicPaths, handle(flussonicDialect));
  app.all([...authPaths, ...flussonicPaths, '/healthz'], (_req, res) => {
    res.set('Allow', 'GET, HEAD');
    refuse(res, new RequestProblem(405, 'only GET and HEAD are answered'));
  });
  app.use((_req, res) => refuse(res, new RequestProblem(404, 'not found')));

  // Last line of defence: whatever went wrong is answered explicitly, never with a 5xx
  // (a streaming server lets viewers in when its auth backend errors).
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    const clientError = typeof status === 'number' && status >= 400 && status < 500;
    if (!clientError) log.error('request failed', { path: req.path, error: error instanceof Error ? error.message : String(error) });
    if (res.headersSent) {
      res.end();
      return;
    }
    const problem = clientError
      ? new RequestProblem(400, 'malformed request')
      : new RequestProblem(403, 'denied: the bridge could not decide');
    refuse(res, problem);
  });
  return app;
}
