import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createOperations } from '../../src/admin/operations.js';
import { createBridge } from '../../src/bridge.js';
import { checkConfigCommand } from '../../src/commands/checkConfig.js';
import { validateConfig } from '../../src/config/load.js';
import { memoryLogger } from '../support/bridge.js';
import { killLeftoverServers, runCli, runInProcess, startServe } from '../support/cli.js';
import { closedPort } from '../support/replayServer.js';

afterAll(killLeftoverServers);

function listenOn(port: number): Promise<Server> {
  const holder = createServer();
  return new Promise((resolve, reject) => {
    holder.once('error', reject);
    holder.listen(port, '127.0.0.1', () => resolve(holder));
  });
}

/**
 * Holds a port as another program would. Whoever holds it now (a bridge another test file started, maybe
 * with the default admin port) may let go of it at any moment: so wait until this test holds it itself.
 */
function occupy(port: number): Promise<Server> {
  return vi.waitFor(() => listenOn(port), { timeout: 10_000, interval: 100 });
}

const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function configFile(lines: readonly string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bridge-admin-')), 'bridge.yaml');
  writeFileSync(file, `${[...lines, 'stats: {store: off}'].join('\n')}\n`);
  return file;
}

describe('serve with the admin listener', () => {
  it('serves decisions on the admin default port itself, the admin listener giving way with a warning', async () => {
    const serving = await startServe(['--config', configFile(['listen: 127.0.0.1:8089'])]).catch((error: Error) => {
      // Someone else on this machine holds 8089: then the decisions cannot listen there either, as said.
      expect(error.message).toMatch(/cannot listen on 127\.0\.0\.1:8089 \(listen in .*\): EADDRINUSE/);
      return undefined;
    });
    if (serving === undefined) return;
    expect(serving.output()).toMatch(/"message":"admin listener not started: its default port is taken/);
    expect((await fetch(`${serving.url}/auth?token=x`)).status).toBe(403);
    serving.child.kill('SIGTERM');
    expect(await serving.exited).toBe(0);
  });

  it('warns and serves decisions when the DEFAULT admin port is taken', async () => {
    held.push(await occupy(8089));
    const port = await closedPort();
    const serving = await startServe(['--config', configFile([`listen: 127.0.0.1:${port}`])]);
    expect(serving.output()).toMatch(/"message":"admin listener not started: its default port is taken/);
    expect(serving.output()).toContain('"address":"127.0.0.1:8089"');
    const decision = await fetch(`${serving.url}/auth?token=x`);
    expect(decision.status).toBe(403);
    serving.child.kill('SIGTERM');
    expect(await serving.exited).toBe(0);
  });

  it('fails the start, naming admin.listen, when a CONFIGURED admin port is taken, and closes the decision listener', async () => {
    const adminPort = await closedPort();
    held.push(await occupy(adminPort));
    const port = await closedPort();
    const result = await runCli([
      'serve',
      '--config',
      configFile([`listen: 127.0.0.1:${port}`, `admin: {listen: 127.0.0.1:${adminPort}}`]),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${adminPort} (admin.listen): EADDRINUSE`);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('refuses a non-loopback admin listener without a token at the config door', async () => {
    const file = configFile(['admin: {listen: 0.0.0.0:8089}']);
    // The command's own function: this is about the config, not the process (a CLI start costs half a second of CPU).
    const result = await runInProcess((out, err) => checkConfigCommand(file, process.env, out, err));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/admin\.token: required when admin\.listen is not a loopback address/);
  });

  it('serves /ready, /metrics and JSON bodies on the configured admin port, and stops it with the bridge', async () => {
    const adminPort = await closedPort();
    const port = await closedPort();
    const serving = await startServe([
      '--config',
      configFile([`listen: 127.0.0.1:${port}`, `admin: {listen: 127.0.0.1:${adminPort}}`]),
    ]);
    expect(serving.output()).toMatch(/"message":"admin listener started"/);
    expect((await fetch(`http://127.0.0.1:${adminPort}/ready`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text()).toContain(
      'iptv_auth_bridge_store_up 1',
    );
    // The built bundle reads bodies with what src does (a bundling slip once answered these 500).
    const revoke = (body: string) =>
      fetch(`http://127.0.0.1:${adminPort}/admin/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const repeated = await revoke('{"login":"alice","login":"bob"}');
    expect([repeated.status, await repeated.json()]).toEqual([400, { error: 'login: given more than once' }]);
    expect((await revoke('{"login":"alice"}')).status).toBe(200);
    serving.child.kill('SIGTERM');
    expect(await serving.exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${adminPort}/ready`)).rejects.toThrow();
  });

  it('opens nothing with admin: {listen: off}', async () => {
    const port = await closedPort();
    const serving = await startServe(['--config', configFile([`listen: 127.0.0.1:${port}`, 'admin: {listen: "off"}'])]);
    expect(serving.output()).not.toMatch(/admin listener/);
    serving.child.kill('SIGTERM');
    expect(await serving.exited).toBe(0);
  });
});

describe('readiness', () => {
  it('is 503 before the decisions are served and while draining, 200 in between', async () => {
    const config = validateConfig({ admin: { listen: '127.0.0.1:0' } }, 'test config', {});
    const log = memoryLogger([]);
    const operations = createOperations({ config: () => config, configFile: 'test config', bridge: () => bridge, log });
    const bridge = createBridge(config, log, { observer: operations.observer });
    const admin = await operations.start();
    const ready = async () => {
      const res = await fetch(`http://127.0.0.1:${(admin!.address as { port: number }).port}/ready`);
      return [res.status, await res.text()];
    };
    try {
      expect(await ready()).toEqual([503, 'starting\n']);
      operations.serving();
      expect(await ready()).toEqual([200, 'serving\n']);
      operations.draining();
      expect(await ready()).toEqual([503, 'draining\n']);
    } finally {
      await operations.close();
      await bridge.close();
    }
  });
});

describe('in a group whose primary does not answer', () => {
  it('answers /metrics and /admin/status 503, saying so, and keeps serving what is its own', async () => {
    const config = validateConfig({ admin: { listen: '127.0.0.1:0' } }, 'test config', {});
    const log = memoryLogger([]);
    const silent = () => Promise.reject(new Error('metrics: no answer within 5000 ms'));
    const operations = createOperations({
      config: () => config,
      configFile: 'test config',
      bridge: () => bridge,
      log,
      group: { metrics: silent, statuses: silent },
    });
    const bridge = createBridge(config, log, { observer: operations.observer });
    const admin = await operations.start();
    const base = `http://127.0.0.1:${(admin!.address as { port: number }).port}`;
    try {
      operations.serving();
      for (const path of ['/metrics', '/admin/status']) {
        const res = await fetch(`${base}${path}`);
        expect([res.status, await res.json()]).toEqual([
          503,
          {
            error: "the group's primary did not answer (metrics: no answer within 5000 ms); checks are still answered",
          },
        ]);
      }
      expect((await fetch(`${base}/ready`)).status).toBe(200);
    } finally {
      await operations.close();
      await bridge.close();
    }
  });
});
