import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { logRefused, type Logger } from '../log.js';

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /** An already listening socket to serve on instead of host and port (socket activation). */
  readonly fd?: number;
  readonly maxHeaderBytes: number;
  readonly log: Logger;
}

export interface RunningServer {
  readonly server: Server;
  readonly address: AddressInfo;
  /** Stops accepting, lets in-flight requests finish (at most `graceMs`), then resolves. */
  stop(graceMs: number): Promise<void>;
}

function rawAnswer(status: string, reason: string, extra = ''): string {
  const body = `${reason}\n`;
  return `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}Connection: close\r\n\r\n${body}`;
}

/**
 * Requests Node refuses before express sees them (oversize headers, garbage on
 * the wire, a head that never completes) still get an explicit answer instead
 * of a dropped connection. When an earlier, complete pipelined request on the
 * same connection is still being decided, its answer goes first and the
 * connection then closes: a 400 written now would be read as its answer.
 */
function answerUnparseable(log: Logger, inFlight: ReadonlySet<ServerResponse>) {
  return (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const reason = timedOut ? 'request not received in time' : error.code === 'HPE_HEADER_OVERFLOW' ? 'request headers too large' : 'malformed HTTP request';
    const status = timedOut ? 408 : 400;
    logRefused(log, status, reason);
    const earlier = [...inFlight].find((res) => res.socket === socket && res.req.complete);
    if (earlier) earlier.shouldKeepAlive = false;
    else socket.end(rawAnswer(timedOut ? '408 Request Timeout' : '400 Bad Request', reason));
  };
}

export async function listen(app: RequestListener, { host, port, fd, maxHeaderBytes, log }: ListenOptions): Promise<RunningServer> {
  let stopping = false;
  const inFlight = new Set<ServerResponse>();
  // One function for every response rather than a closure per request.
  function forget(this: ServerResponse): void {
    inFlight.delete(this);
  }
  const server = createServer(
    // No Host is needed to decide, and the head's size is bounded by bytes, not by a count
    // past which Node would silently drop headers (X-Real-IP among them).
    { maxHeaderSize: maxHeaderBytes, requestTimeout: 30_000, headersTimeout: 10_000, requireHostHeader: false },
    (req, res) => {
      // While draining, answers tell the caller not to reuse the connection: a request sent
      // on it after the close would go unanswered, and the streaming server would let it in.
      if (stopping) res.shouldKeepAlive = false;
      inFlight.add(res);
      res.once('close', forget);
      app(req, res);
    },
  );
  server.maxHeadersCount = 0;
  // A caller that half-closes after sending its request still gets the answer (Node would drop it,
  // and a streaming server that hears nothing lets the viewer in); the connection closes after it.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerUnparseable(log, inFlight));
  server.on('connect', (_req, socket: Duplex) => {
    logRefused(log, 405, 'CONNECT is not answered');
    socket.end(rawAnswer('405 Method Not Allowed', 'only GET and HEAD are answered', 'Allow: GET, HEAD\r\n'));
  });
  server.on('checkExpectation', (_req, res: ServerResponse) => {
    logRefused(log, 417, 'unsupported Expect header');
    const body = 'unsupported Expect header\n';
    res.writeHead(417, { 'Content-Type': 'text/plain', 'Content-Length': String(body.length), Connection: 'close' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(fd === undefined ? { port, host } : { fd }, () => {
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
