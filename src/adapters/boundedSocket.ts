import type { Socket } from 'node:net';
import { buildConnector } from 'undici';
import { AnswerHeadScanner } from './answerHead.js';

/** A middleware answer whose head breaks the bounds or framing rules of answerHead.ts. */
export class BadAnswerHead extends Error {
  constructor(readonly problem: string) {
    super(`answer refused before parsing: ${problem}`);
    this.name = 'BadAnswerHead';
  }
}

/**
 * A kept-alive connection that ended, or was reset, after a request went out on it and before any
 * byte of the answer came: the middleware closed it as idle while the request was on its way (its
 * idle timeout shorter than the bridge's, or a close right after each answer). The request never
 * reached it, or reached it as the connection went: it is sent again on another connection
 * (answerCollector.ts). A fresh connection that does the same fails as it did (`reset`).
 */
export class ReusedConnectionLost extends Error {
  constructor(readonly lost?: unknown) {
    super('the middleware closed a kept-alive connection as the request went out on it');
    this.name = 'ReusedConnectionLost';
  }
}

/** How a connection's loss reaches `destroy`: a reset or broken pipe, as opposed to the bridge's own reasons. */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Puts a head scanner between a middleware connection and undici's parser.
 * undici bounds only the bytes of header names and values (so 16 KiB allows
 * thousands of one-byte lines, each a parser callback and a Buffer), and once
 * over its bound it builds a new error, stack trace and all, for every header
 * line left in the chunk: about 45 ms of event loop for one hostile answer.
 * Here the raw bytes are checked as they are pushed into the socket, and a bad
 * head ends the connection before undici reads any of it.
 *
 * undici sends one request at a time per connection (no pipelining), so a
 * write after an answer's head starts the next answer.
 *
 * The same watch tells a kept-alive connection lost under a request (see
 * ReusedConnectionLost) from any other end: its end or reset comes after a
 * write, before the answer's first byte, on a connection that carried an
 * answer before.
 */
function scanAnswers(socket: Socket): void {
  const scanner = new AnswerHeadScanner();
  let requests = 0;
  let awaitingAnswer = false;
  const lostUnderRequest = () => awaitingAnswer && requests > 1;
  const write = socket.write;
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    scanner.requestSent();
    // A request may take several writes (head, body): it is counted at its first.
    if (!awaitingAnswer) {
      awaitingAnswer = true;
      requests += 1;
    }
    return write.apply(this, args);
  } as Socket['write'];
  const push = socket.push;
  socket.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (Buffer.isBuffer(chunk)) {
      awaitingAnswer = false;
      const problem = scanner.scan(chunk);
      if (problem !== undefined) {
        socket.destroy(new BadAnswerHead(problem));
        return false;
      }
    } else if (chunk === null && lostUnderRequest()) {
      // The middleware's FIN: undici would call it "other side closed", like any answer cut off.
      socket.destroy(new ReusedConnectionLost());
      return false;
    }
    return push.call(socket, chunk, encoding);
  };
  const destroy = socket.destroy;
  socket.destroy = function (this: Socket, error?: Error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const lost = code !== undefined && CONNECTION_LOST.has(code) && lostUnderRequest();
    return destroy.call(this, lost ? new ReusedConnectionLost(error) : error);
  } as Socket['destroy'];
}

/** undici's own connector (TCP or TLS), every socket it makes scanned as above. */
export function answerScanningConnector(options: buildConnector.BuildOptions = {}): buildConnector.connector {
  const connect = buildConnector(options);
  return (connectOptions, callback) =>
    connect(connectOptions, (...result) => {
      const [, socket] = result;
      if (socket) scanAnswers(socket);
      callback(...result);
    });
}
