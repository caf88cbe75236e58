import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { shutdownRound } from '../../scripts/hostile/shutdownRound.js';
import { PRIMARY_GONE } from '../../src/cluster/member.js';
import { CLI, killLeftoverServers, startServe, workFolder } from '../support/cli.js';
import { logLines } from '../support/logLines.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { adminUrlOf, answeredBySlot, workersOf } from '../support/workerGroup.js';

// Drain and socket activation under `serve --workers 2`, as test/e2e/shutdown.test.ts and
// test/e2e/socketActivation.test.ts check them for one process.
const dir = mkdtempSync(join(tmpdir(), 'bridge-workers-life-'));
let middleware: ReplayServer;

beforeAll(async () => {
  middleware = await startReplayServer([
    { request: { path: '/slow' }, response: { status: 200, delayMs: 1200, headers: { 'X-Session-Name': 'viewer' } } },
    { request: { path: '/fast' }, response: { status: 200 } },
  ]);
});
afterAll(async () => {
  killLeftoverServers();
  await middleware.close();
});

function configFile(name: string, check: '/slow' | '/fast'): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `listen: 127.0.0.1:0\nadmin: {listen: "127.0.0.1:0"}\nstats: {store: off}\ncache: {enabled: false}\nbackends:\n  mw: {type: http, url: "${middleware.url}${check}", timeoutMs: 4000}\n`,
  );
  return file;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The whole process group as one: systemd's KillMode=control-group signals the primary and every worker. */
function wholeGroup(primary: ChildProcess, workerPids: readonly number[]): ChildProcess {
  return {
    once: (event: 'exit', listener: (code: number | null) => void) => primary.once(event, listener),
    kill: (signal: NodeJS.Signals) => {
      for (const pid of [primary.pid!, ...workerPids]) process.kill(pid, signal);
      return true;
    },
  } as unknown as ChildProcess;
}

/** One check, on a connection of its own or on `agent`'s: the status, or why none came. */
function checkOnce(port: number, agent: Agent | false = false): Promise<number | string> {
  return new Promise((resolve) => {
    const req = get(
      { host: '127.0.0.1', port, path: '/auth?token=t', agent, headers: { 'X-Real-IP': '203.0.113.7' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 'no status'));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.setTimeout(15_000, () => req.destroy(Object.assign(new Error('no answer within 15 s'), { code: 'ETIMEDOUT' })));
  });
}

describe('serve --workers 2', { timeout: 120_000 }, () => {
  it('answers every check already sent when the group gets SIGTERM: in flight, queued, pipelined; exits 0', async () => {
    const bridge = await startServe(['--workers', '2', '--config', configFile('drain.yaml', '/slow')], {}, 60_000);
    const port = Number(new URL(bridge.url).port);
    const admin = await adminUrlOf(bridge.output);
    const pids = (await workersOf(admin)).map((worker) => worker.pid);
    expect(pids).toHaveLength(2);
    const before = middleware.received.length;
    const tally = await shutdownRound(
      wholeGroup(bridge.child, pids),
      port,
      { inFlight: 20, queued: 200, pipelined: 5 },
      () =>
        expect
          .poll(() => middleware.received.length - before, { timeout: 20_000 })
          .toBe(20)
          .then(() => undefined),
    );
    expect(tally).toMatchObject({ sent: 221, answered: 221, toldToClose: 221, reset: 0, unanswered: 0, exitCode: 0 });
    expect(Object.keys(tally.statuses).filter((status) => status !== '200' && status !== '403')).toEqual([]);
    expect(await bridge.exited).toBe(0);
  });

  it('answers the checks in flight when the primary is killed outright, then each worker exits', async () => {
    const bridge = await startServe(['--workers', '2', '--config', configFile('orphaned.yaml', '/slow')], {}, 60_000);
    const port = Number(new URL(bridge.url).port);
    const before = middleware.received.length;
    const answers = Promise.all(Array.from({ length: 20 }, () => checkOnce(port)));
    await expect.poll(() => middleware.received.length - before, { timeout: 20_000 }).toBe(20);
    bridge.child.kill('SIGKILL');
    expect(await answers).toEqual(Array.from({ length: 20 }, () => 200));
    // The workers write to the primary's output, which outlives it; they are not its children to wait for.
    const lines = (message: string) =>
      bridge
        .output()
        .split('\n')
        .filter((line) => line.includes(`"message":"${message}"`));
    await expect.poll(() => lines('worker stopped').length, { timeout: 20_000 }).toBe(2);
    expect(lines('worker stopping').map((line) => JSON.parse(line).reason)).toEqual([PRIMARY_GONE, PRIMARY_GONE]);
  });

  it('serves on the socket systemd passes, every worker accepting on it', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    // systemd-socket-activate (Debian package systemd) opens the socket and starts serve on the first connection.
    const child = spawn(
      'systemd-socket-activate',
      [
        '-l',
        `127.0.0.1:${port}`,
        '--fdname=decisions',
        process.execPath,
        CLI,
        'serve',
        '--workers',
        '2',
        '--config',
        configFile('activated.yaml', '/fast'),
      ],
      { cwd: workFolder() },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`Listening on 127.0.0.1:${port} `)) resolve();
      }),
    );
    // That check starts the group and waits in the socket's queue until a worker takes it.
    expect(await checkOnce(port)).toBe(200);
    // The primary says it once every worker serves, which may be after the first of them answered.
    const listening = () => output.split('\n').find((line) => line.includes('"message":"listening"'));
    await expect.poll(listening, { timeout: 30_000 }).toBeDefined();
    expect(JSON.parse(listening()!)).toMatchObject({ address: `127.0.0.1:${port}`, socket: 'systemd', workers: 2 });
    const admin = await adminUrlOf(() => output);
    // Checks on connections of their own until both workers have taken some (the kernel chooses; bounded).
    for (let n = 0; n < 100; n++) {
      const answered = await answeredBySlot(admin);
      if ((answered.get(1) ?? 0) > 0 && (answered.get(2) ?? 0) > 0) break;
      expect(await checkOnce(port)).toBe(200);
    }
    const answered = await answeredBySlot(admin);
    expect(answered.get(1)).toBeGreaterThan(0);
    expect(answered.get(2)).toBeGreaterThan(0);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('kills a wedged worker once its event loop stayed silent, started again, and the checks it held end instead of hanging', async () => {
    const file = join(dir, 'wedged.yaml');
    writeFileSync(
      file,
      'listen: 127.0.0.1:0\nadmin: {listen: "127.0.0.1:0"}\nstats: {store: off}\nroutes: {default: {backends: [], default: allow}}\n',
    );
    const bridge = await startServe(['--workers', '2', '--config', file], {}, 30_000);
    try {
      const port = Number(new URL(bridge.url).port);
      const admin = await adminUrlOf(bridge.output);
      const wedged = (await workersOf(admin)).find((worker) => worker.slot === 2)!;
      // Keep-alive connections, each answered once, spread by the kernel over both workers.
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      expect(await Promise.all(Array.from({ length: 8 }, () => checkOnce(port, agent)))).toEqual(Array(8).fill(200));

      process.kill(wedged.pid, 'SIGSTOP');
      // Those held by the stopped worker get no answer until the watchdog ends it.
      const held = Promise.all(Array.from({ length: 8 }, () => checkOnce(port, agent)));
      // A reload it cannot answer says why once the watchdog has ended it, not merely that it exited.
      const reloaded = fetch(`${admin}/admin/reload`, { method: 'POST' }).then((answer) => answer.json());
      await vi.waitFor(
        () => expect(logLines(bridge.output()).some((line) => line.message === 'worker restarted')).toBe(true),
        { timeout: 30_000, interval: 100 },
      );
      const killed = logLines(bridge.output()).find(
        (line) => line.message === 'worker not answering; killing it to start it again',
      );
      expect(killed).toMatchObject({ level: 'error', worker: 2, pid: wedged.pid, silentMs: 6000 });
      expect(logLines(bridge.output()).find((line) => line.message === 'worker died; starting it again')).toMatchObject(
        {
          worker: 2,
          signal: 'SIGKILL',
        },
      );
      expect(isAlive(wedged.pid)).toBe(false);
      expect(await reloaded).toMatchObject({
        result: 'ok',
        workers: [
          { slot: 1, result: 'ok' },
          { slot: 2, result: 'failed', error: 'killed after 6000 ms without answering' },
        ],
      });
      expect(
        logLines(bridge.output()).find((line) => line.message === 'workers did not all reload alike'),
      ).toBeDefined();
      for (const outcome of await held) expect([200, 'ECONNRESET', 'socket hang up']).toContain(outcome);
      agent.destroy();

      const restarted = (await workersOf(admin)).find((worker) => worker.slot === 2)!;
      expect(restarted.pid).not.toBe(wedged.pid);
      expect(await Promise.all(Array.from({ length: 20 }, () => checkOnce(port)))).toEqual(Array(20).fill(200));
    } finally {
      bridge.child.kill('SIGTERM');
      await bridge.exited;
    }
  });
});
