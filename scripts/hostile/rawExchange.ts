import { connect } from 'node:net';
import { setTimeout as pause } from 'node:timers/promises';

/** What a caller sends on one connection, byte for byte. */
export interface RawRequest {
  /** Written one after the other, `pauseMs` apart: a head that arrives slowly. */
  readonly pieces: readonly (string | Buffer)[];
  readonly pauseMs?: number;
  /** Half-close after the last piece, as a caller that sends and then only reads. */
  readonly halfClose?: boolean;
}

export interface RawOutcome {
  /** Everything the bridge sent back, as latin1 text. */
  readonly reply: string;
  /** Status codes of the answers in the reply, in order. */
  readonly statuses: readonly number[];
  /** The connection was reset (or a write found it gone) instead of closed. */
  readonly reset: boolean;
  /** The bridge neither closed the connection nor reset it within the limit. */
  readonly hung: boolean;
  readonly ms: number;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)\r\n/i;

/**
 * The status of each answer in a reply, in order. Answers are walked by their
 * `Content-Length` (a body may end right where the next status line starts);
 * without one, the next answer is looked for by its status line.
 */
export function statusesOf(reply: string): number[] {
  const statuses: number[] = [];
  let at = reply.indexOf('HTTP/1.');
  while (at !== -1) {
    const status = STATUS_LINE.exec(reply.slice(at, at + 12));
    const headEnd = reply.indexOf('\r\n\r\n', at);
    if (!status || headEnd === -1) break;
    statuses.push(Number(status[1]));
    const length = CONTENT_LENGTH.exec(`${reply.slice(at, headEnd)}\r\n`);
    const next = headEnd + 4 + (length ? Number(length[1]) : 0);
    at = reply.startsWith('HTTP/1.', next) ? next : reply.indexOf('HTTP/1.', next);
  }
  return statuses;
}

/**
 * Sends a request as raw bytes and waits until the bridge closes the
 * connection (it must: every case ends with `Connection: close`, a
 * half-close, or bytes the bridge refuses), resets it, or `hangMs` passes.
 */
export function rawExchange(
  port: number,
  request: RawRequest,
  { host = '127.0.0.1', hangMs = 3000 } = {},
): Promise<RawOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    let reset = false;
    let settled = false;
    const finish = (hung: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const reply = Buffer.concat(chunks).toString('latin1');
      resolve({ reply, statuses: statusesOf(reply), reset, hung, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(true), hangMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(false));
    socket.on('close', () => finish(false));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      reset = reset || error.code === 'ECONNRESET' || error.code === 'EPIPE';
      finish(false);
    });
    socket.once('connect', () => {
      void (async () => {
        for (const [index, piece] of request.pieces.entries()) {
          if (settled) return;
          if (index > 0 && request.pauseMs) await pause(request.pauseMs);
          socket.write(piece);
        }
        if (request.halfClose && !settled) socket.end();
      })();
    });
  });
}
