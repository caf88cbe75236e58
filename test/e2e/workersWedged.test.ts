import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { killLeftoverServers, startServe } from '../support/cli.js';
import { logLines } from '../support/logLines.js';
import { adminUrlOf, workersOf } from '../support/workerGroup.js';

// README, Several cores: a worker that stops answering is killed and started again by the primary's watchdog.
const dir = mkdtempSync(join(tmpdir(), 'bridge-wedged-'));
afterAll(() => killLeftoverServers());

/** One check on `agent`'s connections: the status, or the error that ended it. */
function check(port: number, agent: Agent): Promise<number | string> {
  return new Promise((resolve) => {
    const req = get(
      { host: '127.0.0.1', port, path: '/auth?token=t', agent, headers: { 'X-Real-IP': '203.0.113.7' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 'no status'));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('serve --workers 2: a wedged worker', { timeout: 60_000 }, () => {
  it('is killed after its event loop stayed silent, started again, and the checks it held end instead of hanging', async () => {
    const file = join(dir, 'bridge.yaml');
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
      expect(await Promise.all(Array.from({ length: 8 }, () => check(port, agent)))).toEqual(Array(8).fill(200));

      process.kill(wedged.pid, 'SIGSTOP');
      // Those held by the stopped worker get no answer until the watchdog ends it.
      const held = Promise.all(Array.from({ length: 8 }, () => check(port, agent)));
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
      for (const outcome of await held) expect([200, 'ECONNRESET', 'socket hang up']).toContain(outcome);
      agent.destroy();

      const restarted = (await workersOf(admin)).find((worker) => worker.slot === 2)!;
      expect(restarted.pid).not.toBe(wedged.pid);
      const fresh = new Agent({ keepAlive: false });
      expect(await Promise.all(Array.from({ length: 20 }, () => check(port, fresh)))).toEqual(Array(20).fill(200));
    } finally {
      bridge.child.kill('SIGTERM');
      await bridge.exited;
    }
  });
});
