import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { Logger } from '../log.js';

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly maxHeaderBytes: number;
  readonly log: Logger;
}

export interface RunningServer {
  readonly server: Server;
  readonly address: AddressInfo;
  /** Stops accepting, lets in-flight requests finish (at most `graceMs`), then resolves. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Requests Node refuses before express sees them (oversize headers, garbage on
 * the wire) still get an explicit 400 instead of a dropped connection.
 */
function answerUnparseable(log: Logger) {
  return (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const reason = error.code === 'HPE_HEADER_OVERFLOW' ? 'request headers too large' : 'malformed HTTP request';
    log.info('decision', { decision: 'refused', status: 400, reason });
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length + 1}\r\nConnection: close\r\n\r\n${reason}\n`);
  };
}

export async function listen(app: Express, { host, port, maxHeaderBytes, log }: ListenOptions): Promise<RunningServer> {
  let stopping = false;
  const inFlight = new Set<ServerResponse>();
  const server = createServer({ maxHeaderSize: maxHeaderBytes, requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    // While draining, answers tell the caller not to reuse the connection: a request sent
    // on it after the close would go unanswered, and the streaming server would let it in.
    if (stopping) res.shouldKeepAlive = false;
    else {
      inFlight.add(res);
      res.once('close', () => inFlight.delete(res));
    }
    app(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerUnparseable(log));
  server.on('connect', (_req, socket: Duplex) => {
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    address: server.address() as AddressInfo,
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        stopping = true;
        for (const res of inFlight) res.shouldKeepAlive = false;
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        // Keep-alive connections go idle as their last answer is sent; close them as they do.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearTimeout(force);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
