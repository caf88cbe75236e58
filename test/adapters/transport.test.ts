import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MiddlewareClient, TransportError } from '../../src/adapters/transport.js';
import { answer, type FaultScript, type FaultServer, startFaultServer } from '../support/faultServer.js';
import { MIDDLEWARE_FAULTS, provesTimeout } from '../support/middlewareFaults.js';
import { closedPort } from '../support/replayServer.js';
import { adapterFrom, astraViewer, check } from './support.js';

// Long enough for a loaded machine to read any answer.
const TIMEOUT_MS = 3000;
// For the faults that prove the timeout (a hang, the trickles: 10 s or more), never answered in time whatever the
// load: waiting them out at 3 s made them the file's longest tests.
const TIMEOUT_FAULT_MS = 1000;
const faults = new Map(MIDDLEWARE_FAULTS.map((fault) => [fault.name, fault]));
/** Scripts for the keep-alive tests, in the order a connection is asked. */
const sequences = new Map<string, FaultScript[]>();

let server: FaultServer;
let client: MiddlewareClient;

/** `GET /<fault>/...`: the first path segment names the fault. */
function pick(requestLine: string): FaultScript {
  const path = requestLine.split(' ')[1]!;
  const name = path.split('/')[1]!;
  const sequence = sequences.get(name);
  if (sequence) return sequence.shift() ?? { kind: 'hang' };
  return faults.get(name)!.script(`${server.url}${path}`);
}

beforeAll(async () => {
  server = await startFaultServer(pick);
  client = new MiddlewareClient();
});
afterAll(async () => {
  await client.close();
  await server.close();
});

const adapter = (name: string, timeoutMs = TIMEOUT_MS) =>
  adapterFrom({ type: 'http', url: `${server.url}/${name}/check`, timeoutMs }, client);

describe('the transport under middleware faults', () => {
  it.concurrent.each(MIDDLEWARE_FAULTS.map((fault) => [fault.name, fault.expect] as const))(
    '%s: %j',
    async (name, expected) => {
      const verdict = await check(
        adapter(name, provesTimeout(expected) ? TIMEOUT_FAULT_MS : TIMEOUT_MS),
        astraViewer('6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7'),
      );
      if ('error' in expected) expect(verdict).toMatchObject({ outcome: 'error', error: expected.error });
      else if (expected.outcome === 'allow')
        expect(verdict).toMatchObject({ outcome: 'allow', info: { authDuration: undefined } });
      else
        expect(verdict).toMatchObject({
          outcome: 'deny',
          info: { redirect: `${server.url}/${name}/check?token=6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7` },
        });
    },
  );

  it('a refused connection is "refused"', async () => {
    const refusing = adapterFrom(
      { type: 'http', url: `http://127.0.0.1:${await closedPort()}/check`, timeoutMs: TIMEOUT_MS },
      client,
    );
    expect(await check(refusing, astraViewer('t'))).toMatchObject({ outcome: 'error', error: 'refused' });
  });

  it('says what was wrong with a refused head, never quoting it', async () => {
    const verdict = await check(adapter('cr-in-value'), astraViewer('t'));
    expect(verdict).toEqual({
      outcome: 'error',
      error: 'bad-answer',
      detail: 'answer refused before parsing: a bare CR in the head',
    });
  });
});

describe('heads on a kept-alive connection', () => {
  const ok = (name: string) => answer('200 OK', [`X-Session-Name: ${name}`], 'ok');

  it('every answer on one connection gets its own bounds: 100 header lines each, not 100 in all', async () => {
    const lines = Array.from({ length: 99 }, (_, i) => `X-H${i}: v`);
    sequences.set('keepalive-bounds', [
      { kind: 'bytes', bytes: answer('200 OK', [...lines], 'a') },
      { kind: 'bytes', bytes: answer('200 OK', [...lines], 'b') },
      { kind: 'bytes', bytes: answer('200 OK', [...lines, 'X-One: too many'], 'c') },
    ]);
    const asked = server.requestLines.length;
    const send = () =>
      client.send(
        { origin: server.url, path: '/keepalive-bounds/check', headers: {} },
        TIMEOUT_MS,
        new AbortController().signal,
      );
    expect((await send()).body.toString()).toBe('a');
    expect((await send()).body.toString()).toBe('b');
    await expect(send()).rejects.toMatchObject({
      kind: 'bad-answer',
      message: 'answer refused before parsing: more than 100 header lines',
    });
    expect(server.requestLines.length - asked).toBe(3);
  });

  it('a refused head ends its connection only: the next check is answered on a fresh one', async () => {
    sequences.set('after-refusal', [
      { kind: 'bytes', bytes: answer('200 OK', ['Content-Length: 0', 'Transfer-Encoding: chunked']) },
      { kind: 'bytes', bytes: ok('second') },
    ]);
    const send = () =>
      client.send(
        { origin: server.url, path: '/after-refusal/check', headers: {} },
        TIMEOUT_MS,
        new AbortController().signal,
      );
    const refused = await send().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TransportError);
    expect(refused).toMatchObject({ kind: 'bad-answer' });
    expect((await send()).headers['x-session-name']).toBe('second');
  });

  it('interim answers (103) before the real one are read through', async () => {
    sequences.set('interim', [
      { kind: 'bytes', bytes: `HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n${ok('after-103')}` },
    ]);
    const answered = await client.send(
      { origin: server.url, path: '/interim/check', headers: {} },
      TIMEOUT_MS,
      new AbortController().signal,
    );
    expect([answered.status, answered.headers['x-session-name']]).toEqual([200, 'after-103']);
  });
});

describe('a kept-alive connection the middleware closes as a request goes out', () => {
  const ok = (name: string) => answer('200 OK', [`X-Session-Name: ${name}`], 'ok');
  /** A client of one connection: the second request goes out on the connection the first was answered on. */
  async function twoChecks(name: string, second: FaultScript, retried?: FaultScript) {
    sequences.set(name, [{ kind: 'bytes', bytes: ok('first') }, second, ...(retried ? [retried] : [])]);
    const oneConnection = new MiddlewareClient(undefined, 1);
    const asked = server.requestLines.length;
    const send = () => oneConnection.send({ origin: server.url, path: `/${name}/check`, headers: {} }, TIMEOUT_MS);
    try {
      expect((await send()).headers['x-session-name']).toBe('first');
      const outcome = await send().catch((error: unknown) => error);
      return { outcome, requests: server.requestLines.length - asked };
    } finally {
      await oneConnection.close();
    }
  }

  it('sends the request again on a new connection when the old one ends before any byte of the answer', async () => {
    const { outcome, requests } = await twoChecks(
      'idle-closed',
      { kind: 'bytes-then-close', bytes: '' },
      { kind: 'bytes', bytes: ok('again') },
    );
    expect((outcome as { headers: Record<string, string> }).headers['x-session-name']).toBe('again');
    expect(requests).toBe(3);
  });

  it('does the same when the old one is reset instead', async () => {
    const { outcome, requests } = await twoChecks(
      'idle-reset',
      { kind: 'reset' },
      { kind: 'bytes', bytes: ok('again') },
    );
    expect((outcome as { headers: Record<string, string> }).headers['x-session-name']).toBe('again');
    expect(requests).toBe(3);
  });

  it('does not send again once the answer has begun: an answer cut off is a reset', async () => {
    const { outcome, requests } = await twoChecks('cut-after-start', {
      kind: 'bytes-then-close',
      bytes: 'HTTP/1.1 200 OK\r\nContent-Le',
    });
    expect(outcome).toMatchObject({ kind: 'reset' });
    expect(requests).toBe(2);
  });

  it('does not send again on a fresh connection that ends unanswered: a reset, asked once', async () => {
    sequences.set('fresh-closed', [{ kind: 'bytes-then-close', bytes: '' }]);
    const fresh = new MiddlewareClient(undefined, 1);
    const asked = server.requestLines.length;
    try {
      await expect(
        fresh.send({ origin: server.url, path: '/fresh-closed/check', headers: {} }, TIMEOUT_MS),
      ).rejects.toMatchObject({ kind: 'reset' });
      expect(server.requestLines.length - asked).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});

describe("the transport's connections to one middleware", () => {
  it('opens no more than its limit: a request past it waits for a connection to come free', async () => {
    let connections = 0;
    const waiting: ServerResponse[] = [];
    const middleware = createServer((_req, res) => void waiting.push(res));
    middleware.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => middleware.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(middleware.address() as AddressInfo).port}`;
    const limited = new MiddlewareClient(undefined, 2);
    try {
      const sent = [1, 2, 3].map(() => limited.send({ origin, path: '/check', headers: {} }, TIMEOUT_MS));
      await vi.waitFor(() => expect(waiting).toHaveLength(2));
      expect(connections).toBe(2);
      // The third goes out on a connection the first answer frees.
      waiting.shift()!.end('ok');
      await vi.waitFor(() => expect(waiting).toHaveLength(2));
      for (const res of waiting.splice(0)) res.end('ok');
      expect((await Promise.all(sent)).map((answer) => answer.status)).toEqual([200, 200, 200]);
      expect(connections).toBe(2);
    } finally {
      await limited.close();
      middleware.closeAllConnections();
      await new Promise((resolve) => middleware.close(resolve));
    }
  });
});
