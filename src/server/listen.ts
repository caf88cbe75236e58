import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { logRefused, type Logger } from '../log.js';
import { isRawNginxSubrequest, nginxRefusalStatus } from '../protocols/nginxAuthRequest.js';
import type { EarlyRefusal } from './earlyRefusal.js';
import { ConnectionTracker } from './connections.js';
import { drain } from './drain.js';
import type { KernelQueuesReader } from './kernelQueues.js';
import { rawAnswer } from './rawAnswer.js';

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /** An already listening socket to serve on instead of host and port (socket activation). */
  readonly fd?: number;
  readonly maxHeaderBytes: number;
  readonly log: Logger;
  /** How a request Node refuses before the app hears it is reported: by default its decision line in `log`. */
  readonly refused?: EarlyRefusal;
  /** Where the drain learns what the kernel still holds (tests replace it). */
  readonly kernelQueues?: KernelQueuesReader;
}

export interface RunningServer {
  readonly server: Server;
  readonly address: AddressInfo;
  /** Stops listening once every check already sent is answered (at most `graceMs`), then resolves. */
  stop(graceMs: number): Promise<void>;
}

export function refusalOf(error: NodeJS.ErrnoException): { status: number; line: string; reason: string } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, line: '408 Request Timeout', reason: 'request not received in time' };
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, line: '431 Request Header Fields Too Large', reason: 'request headers too large' };
  return { status: 400, line: '400 Bad Request', reason: 'malformed HTTP request' };
}

/**
 * Requests Node refuses before the bridge sees them (oversize heads, garbage on
 * the wire, a head that never completes) still get an explicit answer instead
 * of a dropped connection, after the answers to the complete requests
 * pipelined before them.
 */
function answerUnparseable(refused: EarlyRefusal, tracker: ConnectionTracker) {
  return (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (tracker.isRefusing(socket as Socket)) return;
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const refusal = refusalOf(error);
    const { reason } = refusal;
    if (refusal.status === 400 && isRawNginxSubrequest((error as { rawPacket?: unknown }).rawPacket)) {
      refused(nginxRefusalStatus(400), reason, 'nginx-auth-request');
      tracker.refuse(socket as Socket, rawAnswer('403 Forbidden', reason));
      return;
    }
    refused(refusal.status, reason);
    tracker.refuse(socket as Socket, rawAnswer(refusal.line, reason));
  };
}

export async function listen(
  app: RequestListener,
  {
    host,
    port,
    fd,
    maxHeaderBytes,
    log,
    kernelQueues,
    refused = (status, reason, protocol) => logRefused(log, status, reason, protocol),
  }: ListenOptions,
): Promise<RunningServer> {
  const server = createServer(
    // No Host is needed to decide, and the head's size is bounded by bytes, not by a count
    // past which Node would silently drop headers (X-Real-IP among them).
    // Node enforces the two timeouts when it looks through its connections: once a second, so that a
    // head still arriving gets its 408 within a second of the 10 s (its default, 30 s, made it up to 40).
    {
      maxHeaderSize: maxHeaderBytes,
      requestTimeout: 30_000,
      headersTimeout: 10_000,
      connectionsCheckingInterval: 1000,
      requireHostHeader: false,
    },
    (req, res) => {
      tracker.received(res);
      // While draining, every request pipelined in the bytes just read is counted in before any is
      // answered, so that only the last answer on the connection says `Connection: close`.
      if (tracker.closing) setImmediate(app, req, res);
      else app(req, res);
    },
  );
  const tracker = new ConnectionTracker(server);
  server.maxHeadersCount = 0;
  // A caller that half-closes after sending its request still gets the answer (Node would drop it,
  // and a streaming server that hears nothing lets the viewer in); the connection closes after it.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerUnparseable(refused, tracker));
  server.on('connect', (_req, socket: Duplex) => {
    refused(405, 'CONNECT is not answered');
    socket.end(rawAnswer('405 Method Not Allowed', 'only GET and HEAD are answered', 'Allow: GET, HEAD\r\n'));
  });
  server.on('checkExpectation', (_req, res: ServerResponse) => {
    refused(417, 'unsupported Expect header');
    const body = 'unsupported Expect header\n';
    res
      .writeHead(417, { 'Content-Type': 'text/plain', 'Content-Length': String(body.length), Connection: 'close' })
      .end(body);
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
      drain(server, tracker, {
        graceMs,
        queueOutlivesProcess: fd !== undefined,
        ...(kernelQueues === undefined ? {} : { kernelQueues }),
      }),
  };
}
