import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

/** One recorded middleware exchange; the format is documented in test/fixtures/README.md. */
export interface Exchange {
  readonly description?: string;
  readonly request: {
    readonly method?: string;
    readonly path: string;
    readonly query?: Readonly<Record<string, string>>;
    readonly headers?: Readonly<Record<string, string>>;
  };
  readonly response: {
    readonly status?: number;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string;
    /** Answer with this many bytes of filler instead of `body`. */
    readonly bodyBytes?: number;
    /** Send the body chunked, with no Content-Length announcing its size. */
    readonly chunked?: boolean;
    readonly delayMs?: number;
    /** Never answer. */
    readonly hang?: boolean;
    /** Reset the connection instead of answering. */
    readonly reset?: boolean;
    /** Write these bytes (latin1) to the socket verbatim, for answers Node would refuse to send. */
    readonly raw?: string;
  };
}

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly query: Record<string, string[]>;
  readonly headers: IncomingMessage['headers'];
}

export interface ReplayServer {
  readonly url: string;
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
}

export function loadFixtures(folder: string): Exchange[] {
  return readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(folder, file), 'utf8')) as Exchange);
}

function matches(exchange: Exchange, received: ReceivedRequest): boolean {
  const { method = 'GET', path, query = {}, headers = {} } = exchange.request;
  if (method !== received.method && !(method === 'GET' && received.method === 'HEAD')) return false;
  if (path !== received.path) return false;
  const queryMatches = Object.entries(query).every(([key, value]) => received.query[key]?.length === 1 && received.query[key]![0] === value);
  return queryMatches && Object.entries(headers).every(([name, value]) => received.headers[name.toLowerCase()] === value);
}

function receive(req: IncomingMessage): ReceivedRequest {
  const target = req.url ?? '/';
  const mark = target.indexOf('?');
  const rawQuery = mark === -1 ? '' : target.slice(mark + 1);
  const query: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) (query[key] ??= []).push(value);
  return { method: req.method ?? 'GET', path: mark === -1 ? target : target.slice(0, mark), rawQuery, query, headers: req.headers };
}

function answer(exchange: Exchange, req: IncomingMessage, res: ServerResponse): void {
  const { response } = exchange;
  if (response.hang) return;
  if (response.reset) {
    req.socket.resetAndDestroy();
    return;
  }
  if (response.raw !== undefined) {
    req.socket.end(Buffer.from(response.raw, 'latin1'));
    return;
  }
  const body = response.bodyBytes !== undefined ? Buffer.alloc(response.bodyBytes, 'x') : Buffer.from(response.body ?? '');
  const length = response.chunked ? {} : { 'content-length': String(body.length) };
  res.writeHead(response.status ?? 200, { ...length, ...response.headers });
  for (let offset = 0; offset < body.length; offset += 16_384) res.write(body.subarray(offset, offset + 16_384));
  res.end();
}

/** A simulated middleware on 127.0.0.1 that answers with the first recorded exchange matching each request. */
export async function startReplayServer(exchanges: readonly Exchange[]): Promise<ReplayServer> {
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const request = receive(req);
    received.push(request);
    const exchange = exchanges.find((candidate) => matches(candidate, request));
    if (!exchange) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('no recorded exchange matches this request\n');
      return;
    }
    const delay = exchange.response.delayMs ?? 0;
    if (delay > 0) setTimeout(() => answer(exchange, req, res), delay);
    else answer(exchange, req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
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
