import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Registry } from 'prom-client';
import { formatHostPort } from '../config/fields.js';
import { isLoopbackHost } from '../config/adminSchema.js';
import type { Logger } from '../log.js';
import { refusalOf } from '../server/listen.js';
import type { AdminAuth } from './auth.js';
import { AdminProblem } from './body.js';
import type { AdminAnswer, AdminRequest, adminRoutes } from './routes.js';
import { foreignRequest } from './sameOrigin.js';
import type { Readiness } from './status.js';

export interface AdminHandlerOptions {
  readonly auth: AdminAuth;
  readonly routes: ReturnType<typeof adminRoutes>;
  /** The bridge's registry, or one that merges every worker's (`serve --workers N`). */
  readonly registry: Pick<Registry, 'metrics' | 'contentType'>;
  readonly status: () => object | Promise<object>;
  readonly readiness: () => Readiness;
  readonly page: string;
  /** `admin.hosts`: the names, besides IP literals and `localhost`, a request's Host may give. */
  readonly hosts: readonly string[];
  readonly log: Logger;
}

/** The page may talk to this listener only, and load nothing from anywhere (it needs nothing). */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

const tokenPage = (lead: string) =>
  `<!doctype html><meta charset="utf-8"><title>iptv-auth-bridge: token needed</title>
<p style="font:16px system-ui;margin:2em">${lead}: ` +
  'open <code>/?token=&lt;admin.token&gt;</code> once; the browser keeps a cookie.</p>';
const TOKEN_NEEDED = tokenPage('This status page needs the admin token');
/** A browser shows a page, not the API's JSON: the token in the link was not this bridge's `admin.token`. */
const TOKEN_WRONG = tokenPage('That is not the admin token of this bridge');

function write(res: ServerResponse, answer: AdminAnswer): void {
  if ('chunks' in answer) {
    writeChunks(res, answer.status, answer.chunks);
    return;
  }
  const body = 'json' in answer ? `${JSON.stringify(answer.json, null, 2)}\n` : answer.text;
  const contentType = 'json' in answer ? 'application/json; charset=utf-8' : answer.contentType;
  res.writeHead(answer.status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...answer.headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** JSON written as it is made (no length known in advance: chunked); a client gone stops the making. */
function writeChunks(res: ServerResponse, status: number, chunks: AsyncIterable<string>): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  pipeline(Readable.from(chunks), res).catch(() => undefined);
}

function problemAnswer(problem: AdminProblem): AdminAnswer {
  // A body left unread (too large, too slow) must not be taken for the next request.
  const close: Record<string, string> = problem.status === 408 || problem.status === 413 ? { Connection: 'close' } : {};
  return { status: problem.status, json: { error: problem.message }, headers: { ...problem.headers, ...close } };
}

const unauthorized = () =>
  new AdminProblem(401, 'admin token required: send Authorization: Bearer <admin.token>', {
    'WWW-Authenticate': 'Bearer realm="iptv-auth-bridge admin"',
  });

/**
 * The admin listener's requests: `/metrics` and `/ready` for anyone who can
 * reach it, everything else behind the token. Decision routes are not here,
 * and this is never mounted on the decision listener.
 */
export function adminHandler(options: AdminHandlerOptions): RequestListener {
  const { auth, routes, registry, log } = options;
  const getOnly = (method: string | undefined) => method === 'GET' || method === 'HEAD';
  const foreign = foreignRequest(options.hosts);

  async function answer(req: IncomingMessage): Promise<AdminAnswer> {
    const target = req.url ?? '/';
    const at = target.indexOf('?');
    const path = at === -1 ? target : target.slice(0, at);
    const rawQuery = at === -1 ? '' : target.slice(at + 1);
    const query = new URLSearchParams(rawQuery);
    // Before anything else (the token, the path): a page on another site learns nothing, not even what exists.
    const refusal = foreign(req, path);
    if (refusal !== undefined) {
      log.warn('admin request refused', { path, reason: refusal });
      throw new AdminProblem(403, refusal);
    }
    const fixed: Record<string, () => Promise<AdminAnswer> | AdminAnswer> = {
      '/metrics': async () => ({ status: 200, text: await registry.metrics(), contentType: registry.contentType }),
      '/ready': () => {
        const readiness = options.readiness();
        return {
          status: readiness === 'serving' ? 200 : 503,
          text: `${readiness}\n`,
          contentType: 'text/plain; charset=utf-8',
        };
      },
      '/': (): AdminAnswer => {
        const tokens = query.getAll('token');
        // As for every admin parameter: two are refused, not one of them picked.
        if (tokens.length > 1) throw new AdminProblem(400, 'token: given more than once');
        const token = tokens[0];
        if (token !== undefined) {
          if (!auth.tokenMatches(token))
            return {
              status: 401,
              text: TOKEN_WRONG,
              contentType: 'text/html; charset=utf-8',
              headers: {
                'Referrer-Policy': 'no-referrer',
                'WWW-Authenticate': 'Bearer realm="iptv-auth-bridge admin"',
              },
            };
          return {
            status: 303,
            text: '',
            contentType: 'text/plain',
            headers: { Location: '/', 'Set-Cookie': auth.cookie(), 'Referrer-Policy': 'no-referrer' },
          };
        }
        if (!auth.allows(req)) return { status: 401, text: TOKEN_NEEDED, contentType: 'text/html; charset=utf-8' };
        return { status: 200, text: options.page, contentType: 'text/html; charset=utf-8', headers: PAGE_HEADERS };
      },
      '/admin/status': async () => {
        if (!auth.allows(req)) throw unauthorized();
        return { status: 200, json: await options.status() };
      },
    };
    const fixedRoute = Object.hasOwn(fixed, path) ? fixed[path] : undefined;
    if (fixedRoute !== undefined) {
      if (!getOnly(req.method))
        throw new AdminProblem(405, 'only GET and HEAD are answered here', { Allow: 'GET, HEAD' });
      return fixedRoute();
    }
    const route = routes.get(path);
    if (route === undefined)
      throw new AdminProblem(
        404,
        path.startsWith('/admin/')
          ? 'not found (the admin routes are listed in the README, "Operating it": /admin/status, /admin/sessions, ...)'
          : 'not found (decision routes are served on the decision listener, not here)',
      );
    if (route.method === 'POST' ? req.method !== 'POST' : !getOnly(req.method)) {
      throw new AdminProblem(405, `only ${route.method} is answered here`, {
        Allow: route.method === 'POST' ? 'POST' : 'GET, HEAD',
      });
    }
    if (!auth.allows(req)) throw unauthorized();
    const request: AdminRequest = { req, query, rawQuery };
    return route.handle(request);
  }

  return (req, res) => {
    void answer(req).then(
      (ok) => write(res, ok),
      (error: unknown) => {
        if (error instanceof AdminProblem) return write(res, problemAnswer(error));
        // A callback failed (the store, the reload): said as it is, with the message the callback gave.
        const message = error instanceof Error ? error.message : String(error);
        log.error('admin request failed', { path: (req.url ?? '').split('?')[0], error: message });
        write(res, { status: 500, json: { error: `failed: ${message}` } });
      },
    );
  };
}

export interface AdminListenOptions {
  readonly host: string;
  readonly port: number;
  /** Whether the port was configured: a taken default port only warns, a taken chosen one fails the start. */
  readonly explicit: boolean;
  /** A listening socket handed over (systemd's `admin` socket): used instead of binding. */
  readonly inherited?: { readonly fd: number };
  /** Whether `admin.token` is set: without it, a socket handed over must be on a loopback address. */
  readonly tokenSet?: boolean;
  readonly log: Logger;
  /** How long a request head and a whole request may take (tests shorten them). */
  readonly timing?: AdminTiming;
}

export interface AdminTiming {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** How often Node looks through the connections for ones past their time. */
  readonly checkEveryMs: number;
}

/**
 * As the decision listener's (see src/server/listen.ts): looked through once a second, so a late head gets its 408
 * within a second of 10 s.
 */
const ADMIN_TIMING: AdminTiming = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, checkEveryMs: 1000 };

export interface RunningAdmin {
  readonly address: AddressInfo | string;
  /**
   * Stops taking connections; a request under way (a trace waiting on a middleware, a reload) is answered within
   * `graceMs`, then every connection ends. Cut at once, it got an empty reply when a stop came during it.
   */
  close(graceMs?: number): Promise<void>;
}

function bind(server: Server, { host, port, inherited }: AdminListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve();
    };
    if (inherited !== undefined) server.listen({ fd: inherited.fd }, listening);
    else server.listen(port, host, listening);
  });
}

/**
 * Starts the admin listener. Decisions matter more than operations: when the
 * default port is taken (a second bridge on the machine, say) it warns and
 * resolves undefined; a port chosen in the config that is taken is an error.
 */
/** A whole answer for a connection Node hands over raw: JSON naming the problem, then the connection's end. */
function rawJsonAnswer(line: string, reason: string, extraHeaders = ''): string {
  const body = `${JSON.stringify({ error: reason })}\n`;
  return (
    `HTTP/1.1 ${line}\r\nContent-Type: application/json; charset=utf-8\r\n${extraHeaders}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`
  );
}

export async function listenAdmin(
  listener: RequestListener,
  options: AdminListenOptions,
): Promise<RunningAdmin | undefined> {
  const { headersTimeoutMs, requestTimeoutMs, checkEveryMs } = options.timing ?? ADMIN_TIMING;
  // Answers not yet sent: once the listener closes, each goes with Connection: close, so its connection ends with it.
  const unanswered = new Set<ServerResponse>();
  const server = createServer(
    {
      maxHeaderSize: 16_384,
      requestTimeout: requestTimeoutMs,
      headersTimeout: headersTimeoutMs,
      connectionsCheckingInterval: checkEveryMs,
      // A request without Host is answered as an HTTP/1.0 one is (see sameOrigin.ts), not with Node's empty 400.
      requireHostHeader: false,
    },
    (req, res) => {
      unanswered.add(res);
      res.once('close', () => unanswered.delete(res));
      return listener(req, res);
    },
  );
  // As the decision listener answers it, in JSON: Node's own answer is an empty 417.
  server.on('checkExpectation', (_req, res: ServerResponse) =>
    write(res, problemAnswer(new AdminProblem(417, 'unsupported Expect header', { Connection: 'close' }))),
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // As every other admin answer: JSON naming the problem (the decision listener's status for the same case).
    const { line, reason } = refusalOf(error);
    socket.end(rawJsonAnswer(line, reason));
  });
  // Node has no answer for a CONNECT it is not told how to handle: it closes the connection without a word.
  server.on('connect', (_req, socket: Duplex) =>
    socket.end(rawJsonAnswer('405 Method Not Allowed', 'CONNECT is not answered here', 'Allow: GET, HEAD, POST\r\n')),
  );
  const where = formatHostPort(options.host, options.port);
  try {
    await bind(server, options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    if (code === 'EADDRINUSE' && !options.explicit && options.inherited === undefined) {
      options.log.warn(
        'admin listener not started: its default port is taken; decisions are served without it ' +
          '(set admin.listen to another port, or off)',
        { address: where },
      );
      return undefined;
    }
    throw new Error(`cannot listen on ${where} (admin.listen): ${code}`);
  }
  const bound = server.address();
  // admin.listen is checked at the config door; a socket systemd hands over is only known here.
  if (options.inherited !== undefined && !options.tokenSet && typeof bound === 'object' && bound !== null) {
    if (!isLoopbackHost(bound.address)) {
      server.close();
      throw new Error(
        `admin.token: required when the admin socket systemd passes is not on a loopback address (${formatHostPort(bound.address, bound.port)}): anyone who reaches it could flush and revoke`,
      );
    }
  }
  return {
    address: bound ?? where,
    close: (graceMs = 0) =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        for (const res of unanswered) res.shouldKeepAlive = false;
        server.closeIdleConnections();
      }),
  };
}
