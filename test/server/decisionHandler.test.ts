import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { testBridge } from '../support/bridge.js';

const bridge = testBridge({ routes: { default: { backends: [], default: 'allow' } } });
afterAll(() => bridge.close());

/** The decision lines the bridge wrote while `send` ran. */
async function decisionLines(send: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const before = bridge.logs.length;
  await send();
  return bridge.logs
    .slice(before)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === 'decision');
}

describe('a refused check is logged in its caller’s dialect', () => {
  it('nginx auth_request (X-Original-URI on /auth) refused for bad input or an unknown route', async () => {
    const badIp = await decisionLines(() =>
      request(bridge.app)
        .get('/auth')
        .set({ 'X-Original-URI': '/live/a001?token=t', 'X-Real-IP': '0.0.0.0' })
        // 403, not 400: nginx reads any status but 2xx, 401 and 403 as its own error (a 500 to the viewer).
        .expect(403),
    );
    const longQuery = await decisionLines(() =>
      request(bridge.app)
        .get('/auth')
        .set({ 'X-Original-URI': `/live/a001?token=${'x'.repeat(9000)}` })
        .expect(403),
    );
    const noRoute = await decisionLines(() =>
      request(bridge.app).get('/auth/nowhere').set({ 'X-Original-URI': '/live/a001' }).expect(404),
    );
    for (const lines of [badIp, longQuery, noRoute]) {
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ decision: 'refused', dialect: 'nginx-auth-request' });
    }
  });

  it('Astra on the same path stays cesbo', async () => {
    const lines = await decisionLines(() =>
      request(bridge.app).get('/auth?token=t').set({ 'X-Real-IP': '0.0.0.0' }).expect(400),
    );
    expect(lines).toEqual([expect.objectContaining({ decision: 'refused', dialect: 'cesbo' })]);
  });
});

/** Serves the bridge on 127.0.0.1, counting the writes the server makes on each connection. */
async function countingServer(): Promise<{ server: Server; port: number; writes: () => number }> {
  let writes = 0;
  const server = createServer(bridge.app);
  server.on('connection', (socket: Socket) => {
    const write = socket.write;
    socket.write = function (this: Socket, ...args: unknown[]) {
      writes++;
      return Reflect.apply(write, this, args) as boolean;
    } as Socket['write'];
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, writes: () => writes };
}

/** Sends `raw` on a new connection and reads until `done` says the bytes received are complete. */
function exchange(port: number, raw: string, done: (received: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    socket.setEncoding('latin1');
    socket.on('error', reject);
    socket.on('data', (text: string) => {
      received += text;
      if (done(received)) {
        socket.destroy();
        resolve(received);
      }
    });
  });
}

describe('an answer', () => {
  it('goes out as one write, head and body, with its length; keep-alive answers follow in order', async () => {
    const { server, port, writes } = await countingServer();
    try {
      const check = 'GET /auth?token=t HTTP/1.1\r\nHost: x\r\nX-Real-IP: 203.0.113.7\r\n\r\n';
      const two = await exchange(port, check + check, (text) => text.split('allow\n').length === 3);
      const answers = two.split('HTTP/1.1 ').slice(1);
      expect(answers).toHaveLength(2);
      for (const answer of answers) {
        expect(answer).toMatch(/^200 OK\r\n/);
        expect(answer).toMatch(/\r\nContent-Length: 6\r\n/i);
        expect(answer.endsWith('\r\n\r\nallow\n')).toBe(true);
      }
      expect(writes()).toBe(2);
    } finally {
      server.close();
    }
  });

  it('to HEAD has the head alone', async () => {
    const { server, port } = await countingServer();
    try {
      const head = 'HEAD /auth?token=t HTTP/1.1\r\nHost: x\r\nX-Real-IP: 203.0.113.7\r\n\r\n';
      const check = 'GET /auth?token=t HTTP/1.1\r\nHost: x\r\nX-Real-IP: 203.0.113.7\r\n\r\n';
      // The GET behind it shows where the HEAD's answer ended: a body there would come before it.
      const both = await exchange(port, head + check, (text) => text.endsWith('allow\n'));
      const [answerToHead, answerToGet] = both.split('HTTP/1.1 ').slice(1);
      expect(answerToHead).toMatch(/^200 OK\r\n[\s\S]*\r\n\r\n$/);
      expect(answerToGet).toMatch(/^200 OK\r\n[\s\S]*\r\n\r\nallow\n$/);
    } finally {
      server.close();
    }
  });
});
