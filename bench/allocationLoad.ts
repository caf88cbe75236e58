/**
 * A fixed number of requests over keep-alive connections, each connection one request at a time,
 * from plain sockets: the allocation meter's load, so light that this process keeps up on one core,
 * and exact in count (every answer is read, and must be a 200). A connection the server closes (an
 * idle keep-alive ends while other servers are measured) is opened again, its request sent again.
 */
import { connect, type Socket } from 'node:net';

/** The end of an answer's head; the answers measured have short bodies without one. */
const HEAD_END = '\r\n\r\n';

export interface Loader {
  /** Resolves once every connection closed meanwhile is open again: before a measured window. */
  open(): Promise<void>;
  /** Sends `amount` requests, spread over the connections; resolves once every answer arrived. */
  send(amount: number): Promise<void>;
  close(): void;
}

export async function loader(
  port: number,
  path: string,
  headers: Readonly<Record<string, string>>,
  connections: number,
): Promise<Loader> {
  const lines = Object.entries({ host: `127.0.0.1:${port}`, ...headers }).map(([name, value]) => `${name}: ${value}`);
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  let left = 0;
  let answered = 0;
  let wanted = 0;
  let done: ((error?: Error) => void) | undefined;
  let closing = false;
  const waiting = new Set<Socket>();
  const reopening = new Set<Promise<void>>();
  const ask = (socket: Socket) => {
    waiting.add(socket);
    socket.write(request);
  };
  const opened = () =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.once('error', reject);
      read(socket);
    });
  const read = (socket: Socket) => {
    let carry = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      const seen = carry + text;
      for (let at = seen.indexOf(HEAD_END); at !== -1; at = seen.indexOf(HEAD_END, at + HEAD_END.length)) {
        answered++;
        waiting.delete(socket);
        if (left > 0) {
          left--;
          ask(socket);
        }
      }
      // An answer nearly always arrives in one piece: a head that starts a piece is read for its status.
      if (text.startsWith('HTTP/1.1 ') && !text.startsWith('HTTP/1.1 200'))
        done?.(new Error(`not a 200: ${text.slice(0, 60)}`));
      carry = seen.slice(-(HEAD_END.length - 1));
      if (answered === wanted) done?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const place = sockets.indexOf(socket);
      if (closing || place === -1) return;
      const again = opened().then((fresh) => {
        sockets[place] = fresh;
        reopening.delete(again);
        if (waiting.delete(socket)) ask(fresh);
      });
      reopening.add(again);
    });
  };
  const sockets: Socket[] = await Promise.all(Array.from({ length: connections }, opened));
  return {
    async open() {
      while (reopening.size > 0) await Promise.all(reopening);
    },
    send(amount) {
      answered = 0;
      wanted = amount;
      left = amount;
      return new Promise((resolve, reject) => {
        done = (error) => {
          done = undefined;
          if (error) reject(error);
          else resolve();
        };
        for (const socket of sockets.slice(0, Math.min(amount, sockets.length))) {
          left--;
          ask(socket);
        }
      });
    },
    close: () => {
      closing = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}
