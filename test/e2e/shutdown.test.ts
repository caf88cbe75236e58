import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shutdownRound } from '../../scripts/hostile/shutdownRound.js';
import { killLeftoverServers, startServe } from '../support/cli.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';

let middleware: ReplayServer;
const dir = mkdtempSync(join(tmpdir(), 'bridge-shutdown-'));

beforeAll(async () => {
  // A slow middleware: the checks in flight are still being decided when the signal comes, however
  // long the freeze takes on a loaded machine, so their answers too must say `Connection: close`.
  middleware = await startReplayServer([
    { request: { path: '/check' }, response: { status: 200, delayMs: 1200, headers: { 'X-Session-Name': 'viewer' } } },
  ]);
});
afterAll(async () => {
  killLeftoverServers();
  await middleware.close();
});

describe('SIGTERM', () => {
  it('answers every check already sent: in flight, waiting in the accept queue, pipelined; then exits 0', async () => {
    const config = join(dir, 'bridge.yaml');
    writeFileSync(
      config,
      `listen: 127.0.0.1:0\nstats: {store: off}\ncache: {enabled: false}\nbackends:\n  mw: {type: http, url: "${middleware.url}/check", timeoutMs: 4000}\n`,
    );
    const bridge = await startServe(['--config', config]);
    const port = Number(new URL(bridge.url).port);
    const before = middleware.received.length;
    const tally = await shutdownRound(bridge.child, port, { inFlight: 20, queued: 200, pipelined: 5 }, () =>
      expect
        .poll(() => middleware.received.length - before, { timeout: 10_000 })
        .toBe(20)
        .then(() => undefined),
    );
    expect(tally).toMatchObject({ sent: 221, answered: 221, toldToClose: 221, reset: 0, unanswered: 0, exitCode: 0 });
    // On a loaded machine some checks may outlive the middleware's timeout: the default (deny) answers them.
    expect(Object.keys(tally.statuses).filter((status) => status !== '200' && status !== '403')).toEqual([]);
    expect(Object.values(tally.statuses).reduce((sum, n) => sum + n, 0)).toBe(225);
  });
});

describe('SIGUSR1 and SIGUSR2', () => {
  it('neither open Node’s inspector nor stop the bridge: each is logged as ignored and checks go on', async () => {
    const config = join(dir, 'usr.yaml');
    writeFileSync(
      config,
      `listen: 127.0.0.1:0\nstats: {store: off}\nadmin: {listen: off}\nroutes: {default: {default: deny}}\n`,
    );
    const bridge = await startServe(['--config', config]);
    const ignored = () =>
      bridge
        .output()
        .split('\n')
        .filter((line) => line.includes('signal ignored')).length;
    bridge.child.kill('SIGUSR1');
    await expect.poll(ignored, { timeout: 10_000 }).toBe(1);
    bridge.child.kill('SIGUSR2');
    await expect.poll(ignored, { timeout: 10_000 }).toBe(2);
    expect((await fetch(`${bridge.url}/auth?token=t`)).status).toBe(403);
    expect(bridge.output()).not.toMatch(/Debugger listening/);
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
  });
});
