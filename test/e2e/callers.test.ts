import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyText, callerFixtures } from '../support/callerFixtures.js';
import { killLeftoverServers, startServe, type Serving } from '../support/cli.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

let middleware: ReplayServer;
let bridge: Serving;

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
  const config = join(mkdtempSync(join(tmpdir(), 'bridge-callers-')), 'bridge.yaml');
  writeFileSync(
    config,
    'listen: 127.0.0.1:0\ncache: {enabled: false}\nbackends:\n  mw: {type: http, url: "${MW_URL}/auth/check"}\n',
  );
  bridge = await startServe(['--config', config], { MW_URL: middleware.url });
});
afterAll(async () => {
  bridge.child.kill('SIGTERM');
  await bridge.exited;
  killLeftoverServers();
  await middleware.close();
});

describe('serve answers every caller protocol', () => {
  it.each(callerFixtures().map((fixture) => [fixture.file, fixture] as const))('%s', async (_file, fixture) => {
    const res = await fetch(`${bridge.url}${fixture.request.path}`, {
      method: fixture.request.method,
      headers: fixture.request.headers,
      body: bodyText(fixture),
    });
    expect(res.status).toBe(fixture.expect.status);
    expect(await res.text()).toBe(fixture.expect.body);
  });

  it('writes each decision line with the caller protocol as its dialect, never the token', () => {
    const lines = bridge
      .output()
      .split('\n')
      .filter((line) => line.includes('"message":"decision"'));
    for (const dialect of ['mediamtx', 'srs', 'nginx-rtmp', 'nginx-auth-request'])
      expect(
        lines.some((line) => line.includes(`"dialect":"${dialect}"`)),
        dialect,
      ).toBe(true);
    expect(bridge.output()).not.toContain('good-token');
  });
});
