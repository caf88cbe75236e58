import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { childrenOf, contextSwitches } from '../../bench/procCounters.js';
import { stopper } from '../../bench/processes.js';

/** A parent that starts one child and prints the child's pid once the child is up. */
const PARENT = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'console.log(1); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  c.stdout.once('data', () => console.log(c.pid));
  process.on('SIGTERM', () => { c.kill(); process.exit(0); });`;

describe('childrenOf and contextSwitches', () => {
  it("find a process's child and count its context switches with the parent's", async () => {
    const running = spawn(process.execPath, ['-e', PARENT], { stdio: ['ignore', 'pipe', 'inherit'] });
    const stop = stopper(running);
    const child = Number(String((await once(running.stdout!, 'data'))[0]).trim());
    try {
      expect(childrenOf(running.pid!)).toEqual([child]);
      const alone = contextSwitches(child)!;
      // Every thread of both processes has switched at least once by now (each waited for something).
      expect(alone).toBeGreaterThan(0);
      expect(contextSwitches(running.pid!)!).toBeGreaterThan(alone);
    } finally {
      await stop();
    }
  });

  it('say nothing of a process that is gone', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    expect(childrenOf(gone.pid!)).toEqual([]);
    expect(contextSwitches(gone.pid!)).toBeUndefined();
  });
});
