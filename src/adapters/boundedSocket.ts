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
 */
function scanAnswers(socket: Socket): void {
  const scanner = new AnswerHeadScanner();
  const write = socket.write;
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    scanner.requestSent();
    return write.apply(this, args);
  } as Socket['write'];
  const push = socket.push;
  socket.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (Buffer.isBuffer(chunk)) {
      const problem = scanner.scan(chunk);
      if (problem !== undefined) {
        socket.destroy(new BadAnswerHead(problem));
        return false;
      }
    }
    return push.call(socket, chunk, encoding);
  };
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
