import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange as sendRaw, statusesOf } from '../../scripts/hostile/rawExchange.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { memoryLogger, testBridge, type TestBridge } from '../support/bridge.js';
import { useReplayedMiddleware } from '../support/replayedMiddleware.js';

/**
 * Sends bytes as they are and returns what came back until the server closed
 * the connection. `halfClose: false` keeps the sending side open, as an HTTP
 * client that pipelines does.
 */
function rawExchange(port: number, bytes: string, { halfClose = true } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    if (halfClose) socket.end(bytes);
    else socket.write(bytes);
  });
}

let bridge: TestBridge;
let running: RunningServer;
const slowMiddleware = useReplayedMiddleware([
  { request: { path: '/check' }, response: { status: 200, delayMs: 400, headers: { 'X-Session-Name': 'patient' } } },
]);

beforeAll(async () => {
  bridge = testBridge({
    cache: { enabled: false },
    backends: { slow: { type: 'http', url: `${slowMiddleware.url}/check` } },
  });
  running = await listen(bridge.app, { host: '127.0.0.1', port: 0, maxHeaderBytes: 4096, log: memoryLogger([]) });
});
afterAll(async () => {
  await bridge.close();
});

describe('requests Node refuses before express', () => {
  it('oversize headers get a 431', async () => {
    const reply = await rawExchange(
      running.address.port,
      `GET /auth?token=x HTTP/1.1\r\nHost: a\r\nX-Real-UA: ${'u'.repeat(8000)}\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(reply).toContain('request headers too large');
  });

  it('an oversize request line gets a 431', async () => {
    const reply = await rawExchange(
      running.address.port,
      `GET /auth?token=${'t'.repeat(9000)} HTTP/1.1\r\nHost: a\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
  });

  it.each([200_000, 2_000_000])(
    'a head of %i bytes gets a 431, not a reset, while the caller is still sending it',
    async (size) => {
      const outcome = await sendRaw(running.address.port, {
        pieces: [`GET /auth?token=x HTTP/1.1\r\nHost: a\r\nX-Real-UA: ${'u'.repeat(size)}\r\n\r\n`],
      });
      expect(outcome).toMatchObject({ reset: false, hung: false, statuses: [431] });
      // The same with the caller half-closing after it, and with many header lines instead of one long one.
      const lines = Array.from({ length: size / 20 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(8)}\r\n`).join('');
      const many = await sendRaw(running.address.port, {
        pieces: [`GET /auth HTTP/1.1\r\n${lines}\r\n`],
        halfClose: true,
      });
      expect(many).toMatchObject({ reset: false, hung: false, statuses: [431] });
    },
  );

  it.each([
    ['garbage', 'HELLO THERE\r\n\r\n'],
    ['a header with a CR inside', 'GET /auth HTTP/1.1\r\nHost: a\r\nX-Real-IP: 1.2.3.4\rX\r\n\r\n'],
    ['a bad chunked body', 'GET /auth HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  ])('%s gets a 400', async (_name, bytes) => {
    expect(await rawExchange(running.address.port, bytes)).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it('garbage pipelined behind a request being decided does not take over its answer: the answer, then a 400', async () => {
    const reply = await rawExchange(
      running.address.port,
      'GET /auth?token=x HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\x01 / HTTP/1.1\r\n\r\n',
      {
        halfClose: false,
      },
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply).toContain('X-Session-Name: patient');
    expect(statusesOf(reply)).toEqual([200, 400]);
    expect(reply).toMatch(/HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Connection: close\r\n[\s\S]*malformed HTTP request\n$/);
  });

  // Slow checks, fast health answers and unknown paths in turn: answers are written in the order asked, not as they finish.
  const kinds = [
    'GET /auth?token=x HTTP/1.1\r\n\r\n',
    'GET /healthz HTTP/1.1\r\n\r\n',
    'GET /nowhere HTTP/1.1\r\n\r\n',
  ];
  const pipelined = (n: number) => Array.from({ length: n }, (_, i) => kinds[i % kinds.length]!);
  // Side by side, each on its connection: the slow checks in them wait out the middleware's delay together.
  it.concurrent.for([1, 2, 3, 5, 10])(
    '%i complete pipelined requests then GARBAGE: each answered in order, then a 400',
    async (n, { expect }) => {
      const requests = pipelined(n);
      const outcome = await sendRaw(running.address.port, { pieces: [`${requests.join('')}GARBAGE\r\n\r\n`] });
      const expected = requests.map((request) => (request.includes('/nowhere') ? 404 : 200));
      expect(outcome).toMatchObject({ reset: false, hung: false, statuses: [...expected, 400] });
    },
  );

  it('a caller that half-closes right after pipelined checks and GARBAGE still gets every answer, then the 400', async () => {
    const outcome = await sendRaw(running.address.port, {
      pieces: [`${pipelined(4).join('')}GARBAGE\r\n\r\n`],
      halfClose: true,
    });
    expect(outcome).toMatchObject({ reset: false, hung: false, statuses: [200, 200, 404, 200, 400] });
  });

  it('a pipelined request whose head never completes is answered after the complete ones when the caller half-closes', async () => {
    const outcome = await sendRaw(running.address.port, {
      pieces: ['GET /healthz HTTP/1.1\r\n\r\nGET /auth?token=x HTTP/1.1\r\nX-Real-'],
      halfClose: true,
    });
    expect(outcome).toMatchObject({ reset: false, hung: false, statuses: [200, 400] });
  });

  it('a caller that half-closes after its request still gets the answer, once the middleware has given it', async () => {
    const reply = await rawExchange(running.address.port, 'GET /auth?token=x HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply).toContain('X-Session-Name: patient');
  });

  it('logs a decision the caller reset the connection on as undelivered', async () => {
    const socket = connect(running.address.port, '127.0.0.1');
    const asked = slowMiddleware.nextRequest();
    socket.write('GET /auth?token=gone HTTP/1.1\r\nHost: a\r\n\r\n');
    await asked;
    socket.resetAndDestroy();
    await expect
      .poll(() => bridge.logs.find((line) => line.includes('"undelivered":true')), { timeout: 3000 })
      .toBeDefined();
  });

  it('an unsupported Expect header gets a 417 with a length', async () => {
    const reply = await rawExchange(running.address.port, 'GET /auth HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 417 /);
    expect(reply).toMatch(/Content-Length: 26\r\n/);
  });

  it('a request without Host is decided like any other', async () => {
    const reply = await rawExchange(running.address.port, 'GET /healthz HTTP/1.1\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('CONNECT is refused with 405', async () => {
    expect(
      await rawExchange(running.address.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 405 /);
  });

  it('keeps serving afterwards', async () => {
    const res = await fetch(`http://127.0.0.1:${running.address.port}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe('many headers', () => {
  it('are all read up to the byte bound: a bad X-Real-IP after 2100 others still counts', async () => {
    const roomy = await listen(bridge.app, {
      host: '127.0.0.1',
      port: 0,
      maxHeaderBytes: 65_536,
      log: memoryLogger([]),
    });
    const filler = Array.from({ length: 2100 }, (_, i) => `x-f${i}: 1\r\n`).join('');
    const reply = await rawExchange(
      roomy.address.port,
      `GET /auth?token=x HTTP/1.1\r\nHost: a\r\n${filler}X-Real-IP: not-an-ip\r\nConnection: close\r\n\r\n`,
    );
    await roomy.stop(1000);
    expect(reply).toMatch(/^HTTP\/1\.1 403 /);
    expect(reply).toContain('X-Real-IP is not an IP address');
  });
});

describe('graceful stop', () => {
  it('answers the request in flight, then refuses new connections', async () => {
    const asked = slowMiddleware.nextRequest();
    const inFlight = fetch(`http://127.0.0.1:${running.address.port}/auth?token=x`);
    await asked;
    const stopped = running.stop(5000);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-session-name')).toBe('patient');
    // The caller must not reuse a connection the bridge is about to close.
    expect(res.headers.get('connection')).toBe('close');
    await stopped;
    await expect(fetch(`http://127.0.0.1:${running.address.port}/healthz`)).rejects.toThrow();
  });

  it.each([
    ['the kernel shows its queues', undefined],
    ['the kernel shows nothing (not Linux)', async () => undefined],
  ])(
    'answers every request pipelined before the stop, in order, only the last with Connection: close (%s)',
    async (_name, kernelQueues) => {
      const server = await listen(bridge.app, {
        host: '127.0.0.1',
        port: 0,
        maxHeaderBytes: 4096,
        log: memoryLogger([]),
        ...(kernelQueues ? { kernelQueues } : {}),
      });
      const before = slowMiddleware.received.length;
      const requests = [
        'GET /auth?token=a HTTP/1.1\r\n\r\n',
        'GET /healthz HTTP/1.1\r\n\r\n',
        'GET /auth?token=b HTTP/1.1\r\n\r\n',
      ];
      const reply = rawExchange(server.address.port, requests.join(''), { halfClose: false });
      await expect.poll(() => slowMiddleware.received.length - before).toBe(2);
      await server.stop(5000);
      const text = await reply;
      expect(statusesOf(text)).toEqual([200, 200, 200]);
      expect(text.match(/\r\nConnection: [a-z-]+\r\n/g)).toEqual([
        '\r\nConnection: keep-alive\r\n',
        '\r\nConnection: keep-alive\r\n',
        '\r\nConnection: close\r\n',
      ]);
    },
  );

  it('closes an idle kept-alive connection at once, and gives a head still arriving when the grace period ends a 408', async () => {
    const server = await listen(bridge.app, {
      host: '127.0.0.1',
      port: 0,
      maxHeaderBytes: 4096,
      log: memoryLogger([]),
    });
    const idle = connect(server.address.port, '127.0.0.1');
    const idleReply: Buffer[] = [];
    idle.on('data', (chunk: Buffer) => idleReply.push(chunk));
    const idleClosed = once(idle, 'close');
    idle.write('GET /healthz HTTP/1.1\r\n\r\n');
    await expect.poll(() => Buffer.concat(idleReply).toString()).toContain('"status":"ok"');
    const slow = connect(server.address.port, '127.0.0.1');
    const slowReply: Buffer[] = [];
    slow.on('data', (chunk: Buffer) => slowReply.push(chunk));
    await new Promise<void>((resolve) => slow.write('GET /auth?token=x HTTP/1.1\r\nX-Real-', () => resolve()));
    // A short grace: the head stays incomplete however long it is, and the idle connection must close before it ends.
    const stopped = server.stop(300);
    await idleClosed;
    await stopped;
    await expect
      .poll(() => Buffer.concat(slowReply).toString('latin1'))
      .toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*request not received in time\n$/);
    slow.destroy();
  });
});
