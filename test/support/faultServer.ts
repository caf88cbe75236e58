import { createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A raw-TCP middleware that misbehaves on purpose: it reads each request head
 * and answers with bytes no HTTP library would write (or with none at all).
 * Connections stay open between answers, as a keep-alive middleware's do.
 */
export type FaultScript =
  /** These bytes, then the connection stays open for the next request. */
  | { readonly kind: 'bytes'; readonly bytes: string | Buffer }
  /** These bytes, then the end of the connection. */
  | { readonly kind: 'bytes-then-close'; readonly bytes: string | Buffer }
  /** `head`, then `body` one byte every `everyMs`. */
  | { readonly kind: 'trickle'; readonly head: string; readonly body: string; readonly everyMs: number }
  /** Reads the request, never answers. */
  | { readonly kind: 'hang' }
  /** Reads the request, answers with a TCP reset. */
  | { readonly kind: 'reset' };

export interface FaultServer {
  readonly url: string;
  /** The request line of every request read, in order. */
  readonly requestLines: readonly string[];
  close(): Promise<void>;
}

const HEAD_END = '\r\n\r\n';

function act(socket: Socket, script: FaultScript, timers: Set<NodeJS.Timeout>): void {
  switch (script.kind) {
    case 'bytes':
      socket.write(script.bytes);
      return;
    case 'bytes-then-close':
      socket.end(script.bytes);
      return;
    case 'trickle': {
      socket.write(script.head);
      let sent = 0;
      const timer = setInterval(() => {
        if (sent === script.body.length || socket.destroyed) {
          clearInterval(timer);
          timers.delete(timer);
          return;
        }
        socket.write(script.body[sent++]!);
      }, script.everyMs);
      timers.add(timer);
      return;
    }
    case 'hang':
      return;
    case 'reset':
      socket.resetAndDestroy();
      return;
  }
}

/** Answers each request with the script `scriptFor` picks from its request line (`GET /path?query HTTP/1.1`). */
export async function startFaultServer(scriptFor: (requestLine: string) => FaultScript): Promise<FaultServer> {
  const requestLines: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf(HEAD_END); end !== -1; end = pending.indexOf(HEAD_END)) {
        const requestLine = pending.slice(0, pending.indexOf('\r\n'));
        // The bridge sends GETs without bodies: a request is its head.
        pending = pending.slice(end + HEAD_END.length);
        requestLines.push(requestLine);
        act(socket, scriptFor(requestLine), timers);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requestLines,
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An answer head: status line, header lines, the empty line. */
export function head(status: string, lines: readonly string[]): string {
  return `HTTP/1.1 ${status}\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`;
}

/** A complete answer with a body and its Content-Length. */
export function answer(status: string, lines: readonly string[], body = ''): string {
  return head(status, [...lines, `Content-Length: ${Buffer.byteLength(body)}`]) + body;
}
