import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** One HTTP request exactly as nginx wrote it on the wire. */
export interface TappedRequest {
  readonly method: string;
  readonly target: string;
  /** `HTTP/1.0` or `HTTP/1.1`, from the request line. */
  readonly version: string;
  /** Header lines in nginx's order and spelling. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

export interface NginxTap {
  readonly port: number;
  /** Every complete request relayed so far, in arrival order. */
  readonly requests: TappedRequest[];
  close(): Promise<void>;
}

const HEAD_END = '\r\n\r\n';

/** The complete requests at the front of `pending` (nginx sends Content-Length bodies), and what is left. */
function splitRequests(pending: string): { requests: TappedRequest[]; rest: string } {
  const requests: TappedRequest[] = [];
  let rest = pending;
  for (let end = rest.indexOf(HEAD_END); end !== -1; end = rest.indexOf(HEAD_END)) {
    const [requestLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers = lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), line.slice(colon + 1).trim()] as const;
    });
    const length = Number(headers.find(([name]) => name.toLowerCase() === 'content-length')?.[1] ?? 0);
    const bodyStart = end + HEAD_END.length;
    if (rest.length < bodyStart + length) break;
    const [method = '', target = '', version = ''] = requestLine.split(' ');
    requests.push({ method, target, version, headers, body: rest.slice(bodyStart, bodyStart + length) });
    rest = rest.slice(bodyStart + length);
  }
  return { requests, rest };
}

/**
 * A TCP relay between nginx and the bridge that keeps every request nginx
 * sent, byte for byte, so a test can show (and a fixture can record) what the
 * real server sends rather than what its documentation says.
 */
export async function startNginxTap(bridgePort: number): Promise<NginxTap> {
  const requests: TappedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = connect(bridgePort, '127.0.0.1');
    let pending = '';
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    downstream.on('data', (chunk: Buffer) => {
      const split = splitRequests(pending + chunk.toString('latin1'));
      requests.push(...split.requests);
      pending = split.rest;
      upstream.write(chunk);
    });
    downstream.on('end', () => upstream.end());
    upstream.pipe(downstream);
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
