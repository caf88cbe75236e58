import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { formatHostPort } from '../config/fields.js';
import { bodyMatches, paramsMatch } from './bodyMatch.js';
import { valueMatches } from './expectedValue.js';
import { parseTarget, type Exchange } from './fixtures.js';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly query: Record<string, string[]>;
  readonly headers: IncomingMessage['headers'];
  /** The body as text ('' when there was none). */
  readonly body: string;
}

export interface ReplayServer {
  readonly url: string;
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
}

export interface ReplayOptions<T extends Exchange> {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Told about every request and the exchange that answers it (undefined: none matched). */
  readonly onRequest?: (request: ReceivedRequest, answeredBy: T | undefined) => void;
  /** Keep every request in `received` (default true, for tests); a long-running replay keeps none. */
  readonly keepReceived?: boolean;
}

export const NO_MATCH_BODY = 'no recorded exchange matches this request\n';

/**
 * Which parts of a request an exchange expects otherwise, by name alone (`method`, `path`, `query.ip`,
 * `header.x-real-ip`, `body`): their values can hold tokens. What a replay that matched nothing names, for the
 * exchange nearest to the request.
 */
export function differences(exchange: Exchange, received: ReceivedRequest): string[] {
  const { method = 'GET', path, query = {}, headers = {}, body } = exchange.request;
  const differ: string[] = [];
  if (method !== received.method && !(method === 'GET' && received.method === 'HEAD')) differ.push('method');
  if (!valueMatches(path, received.path)) differ.push('path');
  for (const [name, expected] of Object.entries(query))
    if (!paramsMatch({ [name]: expected }, received.query)) differ.push(`query.${name}`);
  for (const [name, expected] of Object.entries(headers)) {
    const value = received.headers[name.toLowerCase()];
    if (typeof value !== 'string' || !valueMatches(expected, value)) differ.push(`header.${name.toLowerCase()}`);
  }
  if (body !== undefined && !bodyMatches(body, received.body)) differ.push('body');
  return differ;
}

/** The exchange that differs from the request in the fewest parts, with those parts; undefined with none. */
export function nearestExchange<T extends Exchange>(
  exchanges: readonly T[],
  received: ReceivedRequest,
): { readonly exchange: T; readonly differs: readonly string[] } | undefined {
  let nearest: { exchange: T; differs: string[] } | undefined;
  for (const exchange of exchanges) {
    const differs = differences(exchange, received);
    if (nearest === undefined || differs.length < nearest.differs.length) nearest = { exchange, differs };
  }
  return nearest;
}

/** A simulated middleware holds no more of a request body than this. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The request body as text; a request without one (every GET) costs no wait. */
async function bodyOf(req: IncomingMessage): Promise<string> {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function receive(req: IncomingMessage): Promise<ReceivedRequest> {
  const { path, rawQuery, query: parameters } = parseTarget(req.url ?? '/');
  // No prototype: a parameter named `constructor` or `__proto__` is a parameter like any other.
  const query: Record<string, string[]> = Object.create(null);
  for (const [key, values] of parameters) query[key] = values;
  return { method: req.method ?? 'GET', path, rawQuery, query, headers: req.headers, body: await bodyOf(req) };
}

function answer(exchange: Exchange, req: IncomingMessage, res: ServerResponse): void {
  const { response } = exchange;
  // The caller gave up (or the server is closing) while a delayed answer waited.
  if (response.hang || res.destroyed) return;
  if (response.reset) {
    req.socket.resetAndDestroy();
    return;
  }
  if (response.raw !== undefined) {
    req.socket.end(Buffer.from(response.raw, 'latin1'));
    return;
  }
  const body =
    response.bodyBytes !== undefined ? Buffer.alloc(response.bodyBytes, 'x') : Buffer.from(response.body ?? '');
  const length = response.chunked ? {} : { 'content-length': String(body.length) };
  res.writeHead(response.status ?? 200, { ...length, ...response.headers });
  for (let offset = 0; offset < body.length; offset += 16_384) res.write(body.subarray(offset, offset + 16_384));
  res.end();
}

/** A fixture that still cannot be sent must cost one connection, not the whole simulated middleware. */
function answerSafely(exchange: Exchange, req: IncomingMessage, res: ServerResponse): void {
  try {
    answer(exchange, req, res);
  } catch {
    req.socket.destroy();
  }
}

/** A simulated middleware that answers each request with the first exchange (in the given order) matching it. */
export async function startReplayServer<T extends Exchange>(
  exchanges: readonly T[],
  options: ReplayOptions<T> = {},
): Promise<ReplayServer> {
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (req, res) => {
    let request: ReceivedRequest;
    try {
      request = await receive(req);
    } catch {
      req.socket.destroy();
      return;
    }
    if (options.keepReceived !== false) received.push(request);
    const exchange = exchanges.find((candidate) => differences(candidate, request).length === 0);
    options.onRequest?.(request, exchange);
    if (!exchange) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(NO_MATCH_BODY);
      return;
    }
    const delay = exchange.response.delayMs ?? 0;
    if (delay > 0) setTimeout(() => answerSafely(exchange, req, res), delay).unref();
    else answerSafely(exchange, req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${formatHostPort(address, port)}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it, for "connection refused". */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
