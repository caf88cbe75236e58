import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuSeconds, stopper, waitForPort } from '../../bench/processes.js';

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
