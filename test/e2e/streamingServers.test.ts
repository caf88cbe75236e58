import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAstraMock, type AstraMock } from '../streamingServers/support/astraMock.js';
import { killLeftoverServers, startServe, type Serving } from '../support/cli.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

// `serve` with an Astra connector, end to end: the real CLI, the replayed middleware, the Astra
// control API mock. A revoked viewer is closed on Astra; a session Astra stops listing frees its
// connection-limit slot.

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const ASTRA_PASSWORD = 'astra-s3cret-pass';
/** For vi.waitFor on what the bridge does by itself (its polls, once a second here). */
const EVENTUALLY = { timeout: 10_000, interval: 100 };

let middleware: ReplayServer;
let astra: AstraMock;
let bridge: Serving;
let admin: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'), {
    keepReceived: false,
  });
  astra = await startAstraMock('admin', ASTRA_PASSWORD);
  const adminPort = await freePort();
  admin = `http://127.0.0.1:${adminPort}`;
  const file = join(mkdtempSync(join(tmpdir(), 'bridge-astra-')), 'bridge.yaml');
  writeFileSync(
    file,
    [
      'listen: 127.0.0.1:0',
      `admin: {listen: "127.0.0.1:${adminPort}", token: "${ADMIN_TOKEN}"}`,
      'backends:',
      '  mw: {type: http, url: "${MW_URL}/auth/check", timeoutMs: 2000}',
      'users:',
      '  - {login: bob, token: bob-token, maxConnections: 1}',
      'stats: {store: off}',
      'streamingServers:',
      '  edge1: {type: astra, url: "${ASTRA_URL}", login: admin, password: "${ASTRA_PASSWORD}", poll: 1}',
      '',
    ].join('\n'),
  );
  bridge = await startServe(['--config', file], { MW_URL: middleware.url, ASTRA_URL: astra.url, ASTRA_PASSWORD });
});
afterAll(async () => {
  killLeftoverServers();
  await Promise.all([middleware.close(), astra.stop()]);
});

/** One Astra check: the viewer's token, Astra's session id. */
async function watch(token: string, session: string): Promise<number> {
  const res = await fetch(`${bridge.url}/auth?token=${token}`, {
    headers: { 'X-Session-ID': session, 'X-Channel-ID': 'a001', 'X-Real-IP': '203.0.113.9' },
  });
  await res.arrayBuffer();
  return res.status;
}

async function adminJson(path: string, body?: object): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${admin}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const connector = async () =>
  ((await adminJson('/admin/status')).body.streamingServers as Record<string, unknown>[] | undefined)?.[0];

const listed = (...ids: string[]) => ids.map((id) => ({ client_id: id, channel_id: 'a001', addr: '203.0.113.9' }));

describe('serve with an Astra connector', () => {
  it('revoke by login (X-Session-Name), user id and token closes each viewer on Astra, and /admin/status shows it', async () => {
    expect(await watch('good-token', '101')).toBe(200);
    expect(await watch('userid-token', '102')).toBe(200);
    expect(await watch('bob-token', '103')).toBe(200);
    astra.sessions = listed('101', '102', '103', 'not-ours');
    await vi.waitFor(
      async () => expect(await connector()).toMatchObject({ state: 'up', listed: 4, matched: 3 }),
      EVENTUALLY,
    );

    const revoke = async (target: object) => {
      const { status, body } = await adminJson('/admin/revoke', target);
      expect(status).toBe(200);
      return body.closed;
    };
    expect(await revoke({ login: 'alice' })).toEqual([
      { server: 'edge1', route: 'default', session: '101', user: 'alice' },
    ]);
    expect(await revoke({ userId: 'stb-1001' })).toEqual([
      { server: 'edge1', route: 'default', session: '102', user: 'stb-1001' },
    ]);
    expect(await revoke({ token: 'bob-token' })).toEqual([
      { server: 'edge1', route: 'default', session: '103', user: 'bob' },
    ]);
    expect(astra.closed).toEqual(['101', '102', '103']);
    expect((await adminJson('/admin/sessions')).body.count).toBe(0);
    expect(await connector()).toMatchObject({ name: 'edge1', type: 'astra', url: `${astra.url}/`, closed: 3 });
  });

  it("a session Astra stops listing frees the local user's maxConnections slot at once", async () => {
    expect(await watch('bob-token', '201')).toBe(200);
    expect(await watch('bob-token', '202')).toBe(403);
    astra.sessions = listed('201');
    await vi.waitFor(async () => expect(await connector()).toMatchObject({ listed: 1, matched: 1 }), EVENTUALLY);
    astra.sessions = [];
    // Ended (closed-by-server) at the next poll, long before sessions.idleTtl (an hour).
    await vi.waitFor(
      async () => expect((await adminJson('/admin/sessions?user=bob')).body.sessions).toEqual([]),
      EVENTUALLY,
    );
    expect(await watch('bob-token', '202')).toBe(200);
    expect(bridge.output()).not.toContain(ASTRA_PASSWORD);
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
  });
});
