import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connectInspector } from '../../../scripts/hostile/inspectorProbe.js';

describe('connectInspector', () => {
  it('reads memory and event-loop delay of a process started with --inspect, through its inspector only', async () => {
    // The child blocks its own event loop for ~50 ms once a second apart: the delay must show.
    const child = spawn(process.execPath, [
      '--inspect=127.0.0.1:0',
      '-e',
      'setInterval(() => { const end = Date.now() + 50; while (Date.now() < end); }, 100)',
    ]);
    try {
      let url: string | undefined;
      let stderr = '';
      while (url === undefined) {
        const [chunk] = (await once(child.stderr, 'data')) as [Buffer];
        stderr += chunk.toString();
        url = /ws:\/\/\S+/.exec(stderr)?.[0];
      }
      const inspector = await connectInspector(url);
      await inspector.sample();
      await expect
        .poll(async () => (await inspector.sample()).loopDelayMaxMs, { interval: 200, timeout: 5000 })
        .toBeGreaterThan(20);
      const sample = await inspector.sample();
      expect(sample.rssBytes).toBeGreaterThan(10 * 1048576);
      expect(sample.heapUsedBytes).toBeGreaterThan(0);
      expect(sample.heapTotalBytes).toBeGreaterThanOrEqual(sample.heapUsedBytes);
      inspector.close();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
