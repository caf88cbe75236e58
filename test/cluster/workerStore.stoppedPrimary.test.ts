import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { killLeftoverServers, startServe, type Serving } from '../support/cli.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

// `serve --workers 2` whose primary is stopped (SIGSTOP): the workers go on answering, keep token
// bindings in their own memory once the primary failed to answer, say so in /healthz, and use the
// primary again once it answers (SIGCONT). Real processes, a replayed Ministra.
const TOKEN = '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7'; // test/fixtures/ministra/allow.json
const VIEWER_A = '203.0.113.1';
const VIEWER_B = '198.51.100.2';
let middleware: ReplayServer;
let serving: Serving | undefined;
let client: Client | undefined;

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('ministra'));
});
afterAll(async () => {
  if (serving?.child.pid !== undefined) serving.child.kill('SIGCONT');
  await client?.close();
  killLeftoverServers();
  await middleware.close();
});

async function get(path: string, ip?: string): Promise<{ status: number; body: string }> {
  const answer = await client!.request({ method: 'GET', path, headers: ip ? { 'X-Real-IP': ip } : {} });
  const body = await answer.body.text();
  return { status: answer.statusCode, body };
}

const storeDetail = async () =>
  (JSON.parse((await get('/healthz')).body) as { store: { detail: string } }).store.detail;

describe('serve --workers with a stopped primary', { timeout: 90_000 }, () => {
  it("answers from each worker's own memory once the primary failed to answer, until it answers again", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-stopped-primary-'));
    const config = join(dir, 'bridge.yaml');
    writeFileSync(
      config,
      [
        'listen: 127.0.0.1:0',
        'admin: {listen: off}',
        'stats: {store: off}',
        'cache: {store: memory}',
        'backends:',
        `  portal: {type: ministra, url: "${middleware.url}/stalker_portal", timeoutMs: 1000}`,
        'routes:',
        '  default: {backends: [portal], timeoutMs: 1500}',
        '',
      ].join('\n'),
    );
    serving = await startServe(['--workers', '2', '--config', config], {}, 60_000);
    // One kept-alive connection: every request below reaches the same worker.
    client = new Client(serving.url, { keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 });
    expect(await storeDetail()).not.toContain('primary');

    serving.child.kill('SIGSTOP');
    // A new viewer: the worker waits for the primary once, then decides without it.
    expect((await get(`/auth?token=${TOKEN}`, VIEWER_A)).status).toBe(200);
    expect(await storeDetail()).toMatch(
      /primary not answering since .*: token bindings and session counts kept in this worker/,
    );
    // The binding the worker made in its own memory holds there: denied without asking Ministra.
    expect((await get(`/auth?token=${TOKEN}`, VIEWER_B)).status).toBe(403);
    expect(middleware.received).toHaveLength(1);

    serving.child.kill('SIGCONT');
    await vi.waitFor(async () => expect(await storeDetail()).not.toContain('primary'), {
      timeout: 10_000,
      interval: 50,
    });
    expect((await get(`/auth?token=${TOKEN}`, VIEWER_A)).status).toBe(200);
  });
});
