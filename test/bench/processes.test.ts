import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  cpuSeconds,
  startBridge,
  startCountingMiddleware,
  startPlainServer,
  stopper,
  waitForPort,
} from '../../bench/processes.js';
import { BRIDGE_BASE, backendLines, VIEWER } from '../../bench/settings.js';

/** CPU the child burns before it says so: measured by its own CPU clock, so a busy machine cannot shorten it. */
const BURN_MICROS = 300_000;

describe('cpuSeconds', () => {
  it("counts a process's live children with it, as nginx's workers count with their master", async () => {
    const child = `while (process.cpuUsage().user < ${BURN_MICROS}); console.log(1); setInterval(() => {}, 1000);`;
    const parent = `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: ['ignore', 'pipe', 'inherit'] });
      c.stdout.once('data', () => console.log(1));
      process.on('SIGTERM', () => { c.kill(); process.exit(0); });`;
    const running = spawn(process.execPath, ['-e', parent], { stdio: ['ignore', 'pipe', 'inherit'] });
    const stop = stopper(running);
    await waitForPort(running, 'parent');
    const seconds = cpuSeconds(running.pid!);
    await stop();
    // /proc counts whole 10 ms ticks.
    expect(seconds).toBeGreaterThanOrEqual(BURN_MICROS / 1e6 - 0.01);
  });

  it('is undefined for a process that is gone', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    expect(cpuSeconds(gone.pid!)).toBeUndefined();
  });
});

/** The bytes of the answer to one GET of `path` with the bench's viewer headers, its Date left out. */
function answerBytes(url: string, path: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const headers = Object.entries(VIEWER).map(([name, value]) => `${name}: ${value}\r\n`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${headers.join('')}\r\n`),
    );
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      const headEnd = answer.indexOf('\r\n\r\n');
      const length = Number(/^Content-Length: (\d+)/im.exec(answer)?.[1] ?? 0);
      if (headEnd === -1 || answer.length < headEnd + 4 + length) return;
      socket.destroy();
      resolve(answer.replace(/^Date: .*\r\n/m, ''));
    });
    socket.on('error', reject);
  });
}

describe('startPlainServer', () => {
  it('answers byte for byte what the bridge answers a cached allow, so the bench compares like with like', async () => {
    const middleware = await startCountingMiddleware();
    const [plain, bridge] = await Promise.all([
      startPlainServer(),
      startBridge([...BRIDGE_BASE, ...backendLines(middleware.url)]),
    ]);
    try {
      const path = '/auth?token=cached-token';
      await answerBytes(bridge.url, path);
      const cached = await answerBytes(bridge.url, path);
      expect(cached).toBe(
        'HTTP/1.1 200 OK\r\nX-Session-Name: bench-user\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n' +
          'Connection: keep-alive\r\nKeep-Alive: timeout=65\r\n\r\nallow\n',
      );
      expect(await answerBytes(plain.url, '/')).toBe(cached);
    } finally {
      await Promise.all([plain.stop(), bridge.stop(), middleware.stop()]);
    }
  });
});
