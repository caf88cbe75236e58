import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { logRefused } from '../log.js';
import { cesboDialect } from './dialects/cesbo.js';
import { flussonicDialect } from './dialects/flussonic.js';
import type { CallerDialect } from './dialects/types.js';
import { decisionHandler, refuse, type DecisionHandlerOptions } from './decisionHandler.js';
import { RequestProblem } from './problem.js';

export interface AppOptions extends DecisionHandlerOptions {
  /** What `/healthz` reports beyond "serving" (store and backend state). */
  readonly health?: () => object;
}

/** The HTTP face of the bridge: caller dialects in, 200/403 out. Knows nothing of middleware. */
export function createApp(options: AppOptions, decide = decisionHandler(options)): express.Express {
  const { log, health } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // The dialects parse queries themselves, strictly; express's parser would turn `a[]=` into arrays.
  app.set('query parser', false);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...health?.() });
  });

  const answer = (dialect: CallerDialect) => (req: Request, res: Response) => {
    const route = typeof req.params.route === 'string' ? req.params.route : 'default';
    return decide(dialect, route, req, res);
  };
  const authPaths = ['/auth', '/auth/:route'];
  const flussonicPaths = ['/flussonic', '/flussonic/:route'];
  app.get(authPaths, answer(cesboDialect));
  app.get(flussonicPaths, answer(flussonicDialect));
  const refuseAndLog = (res: Response, problem: RequestProblem, headers?: Record<string, string>) => {
    logRefused(log, problem.status, problem.message);
    refuse(res, problem, headers);
  };
  app.all([...authPaths, ...flussonicPaths, '/healthz'], (_req, res) => {
    refuseAndLog(res, new RequestProblem(405, 'only GET and HEAD are answered'), { Allow: 'GET, HEAD' });
  });
  app.use((_req, res) => refuseAndLog(res, new RequestProblem(404, 'not found')));

  // Last line of defence: whatever went wrong is answered explicitly, never with a 5xx
  // (a streaming server lets viewers in when its auth backend errors).
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    const clientError = typeof status === 'number' && status >= 400 && status < 500;
    const problem = clientError
      ? new RequestProblem(400, 'malformed request path')
      : new RequestProblem(403, 'denied: the bridge could not decide');
    if (!clientError) log.error('request failed', { error: error instanceof Error ? error.message : String(error) });
    if (res.headersSent) res.destroy();
    else refuseAndLog(res, problem);
  });
  return app;
}

/** `/auth`, `/auth/<route>`, `/flussonic`, `/flussonic/<route>` in their plain form (route names need no decoding). */
const DECISION_PATH = /^\/(auth|flussonic)(?:\/([A-Za-z0-9_-]+))?\/?(?:\?|$)/;

/**
 * The bridge's request listener. Viewer checks in their plain form go
 * straight to the decision handler: they are nearly all the traffic, and
 * express's routing would cost more than a cached decision. Everything else
 * (health, odd methods, odd paths) goes through the express app, which
 * answers it exactly as before.
 */
export function createRequestListener(options: AppOptions): RequestListener {
  const decide = decisionHandler(options);
  const app = createApp(options, decide);
  return (req: IncomingMessage, res: ServerResponse) => {
    const match = req.method === 'GET' || req.method === 'HEAD' ? DECISION_PATH.exec(req.url ?? '') : null;
    if (!match) {
      app(req, res);
      return;
    }
    void decide(match[1] === 'auth' ? cesboDialect : flussonicDialect, match[2] ?? 'default', req, res);
  };
}
