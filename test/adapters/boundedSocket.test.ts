import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerScanningConnector, BadAnswerHead } from '../../src/adapters/boundedSocket.js';
import { answer } from '../support/faultServer.js';

/** A throwaway certificate for 127.0.0.1, made by Debian's openssl. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-tls-'));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  const made = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

const TOO_MANY = answer(
  '200 OK',
  Array.from({ length: 101 }, (_, i) => `X-H${i}: v`),
);
const FINE = answer('200 OK', ['X-Session-Name: over-tls'], 'ok');

describe('heads are scanned on TLS connections too (IPTVportal and most middlewares are https)', () => {
  let server: Server;
  let agent: Agent;
  let origin: string;

  beforeAll(async () => {
    const { key, cert } = selfSignedCertificate();
    let asked = 0;
    server = createServer({ key, cert }, (socket) => {
      socket.on('error', () => {});
      socket.on('data', () => socket.write(asked++ % 2 === 0 ? FINE : TOO_MANY));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    agent = new Agent({ connect: answerScanningConnector({ ca: cert }) });
  });
  afterAll(async () => {
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads a usual answer, then refuses one with too many header lines before undici parses it', async () => {
    const fine = await agent.request({ origin, path: '/check', method: 'GET' });
    expect([fine.statusCode, fine.headers['x-session-name'], await fine.body.text()]).toEqual([200, 'over-tls', 'ok']);
    const refused = await agent.request({ origin, path: '/check', method: 'GET' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BadAnswerHead);
    expect(refused).toMatchObject({ problem: 'more than 100 header lines' });
  });
});
