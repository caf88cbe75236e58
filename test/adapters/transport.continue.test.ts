import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiddlewareClient } from '../../src/adapters/transport.js';
import { answer, startFaultServer, type FaultScript, type FaultServer } from '../support/faultServer.js';
import { adapterFrom, astraViewer, check } from './support.js';

// Long enough for a loaded machine to read any answer; the hanging case waits out a shorter one.
const TIMEOUT_MS = 1500;
const HANG_TIMEOUT_MS = 300;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const ALLOW = answer('200 OK', ['X-Session-Name: after-continue'], 'ok');

/** `GET /<name>/...`: what the raw middleware answers to each. */
const SCRIPTS: Record<string, FaultScript> = {
  'continue-then-allow': { kind: 'bytes', bytes: CONTINUE + ALLOW },
  'continue-trickled': { kind: 'trickle', head: '', body: CONTINUE + ALLOW, everyMs: 1 },
  'continue-then-deny': { kind: 'bytes', bytes: CONTINUE + answer('403 Forbidden', []) },
  'continue-then-close': { kind: 'bytes-then-close', bytes: CONTINUE },
  'continue-then-nothing': { kind: 'bytes', bytes: CONTINUE },
  'continues-unbounded': { kind: 'bytes', bytes: CONTINUE.repeat(1000) },
};

let server: FaultServer;
let client: MiddlewareClient;

beforeAll(async () => {
  server = await startFaultServer((requestLine) => SCRIPTS[requestLine.split(' ')[1]!.split('/')[1]!]!);
  client = new MiddlewareClient();
});
afterAll(async () => {
  await client.close();
  await server.close();
});

const ask = (name: string, timeoutMs = TIMEOUT_MS) =>
  check(
    adapterFrom({ type: 'http', url: `${server.url}/${name}/check`, timeoutMs }, client),
    astraViewer('6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7'),
  );

describe('a middleware that answers 100 Continue first', () => {
  it('is read through to its real answer: an allow, with its headers', async () => {
    expect(await ask('continue-then-allow')).toMatchObject({
      outcome: 'allow',
      info: { sessionName: 'after-continue' },
    });
  });

  it('is read through when the 100 and the answer come one byte at a time', async () => {
    expect(await ask('continue-trickled')).toMatchObject({ outcome: 'allow', info: { sessionName: 'after-continue' } });
  });

  it('is read through to a refusal too', async () => {
    expect(await ask('continue-then-deny')).toMatchObject({ outcome: 'deny' });
  });

  it('then closing the connection is a reset, at once', async () => {
    expect(await ask('continue-then-close')).toMatchObject({ outcome: 'error', error: 'reset' });
  });

  it('then saying nothing more is a timeout within timeoutMs, never a hang', async () => {
    const started = performance.now();
    expect(await ask('continue-then-nothing', HANG_TIMEOUT_MS)).toMatchObject({ outcome: 'error', error: 'timeout' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(HANG_TIMEOUT_MS - 1);
  });

  it('and then only more of them is refused once the head bounds are spent', async () => {
    expect(await ask('continues-unbounded')).toMatchObject({
      outcome: 'error',
      error: 'bad-answer',
      detail: 'answer refused before parsing: a head over 16384 bytes',
    });
  });
});
