import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MiddlewareAnswer, OutboundRequest } from '../../src/adapters/transport.js';
import { createRecorder } from '../../src/record/recorder.js';
import { diskFiles, type RecordFiles } from '../../src/record/wholeFile.js';
import { loadFixtures } from '../../src/replay/fixtures.js';
import { memoryLogger } from '../support/bridge.js';
import { ManualClock } from '../support/manualClock.js';

const outbound: OutboundRequest = { origin: 'http://127.0.0.1:9', path: '/check?token=t1', headers: {} };
const answer: MiddlewareAnswer = { status: 200, headers: { 'x-userid': '42' }, body: Buffer.from('ok') };

describe('createRecorder', () => {
  it('names the writer in the file name, so workers recording the same exchange in the same millisecond keep both (serve --workers --record)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'record-writers-')), 'recorded');
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 15, 0, 0, 123));
    const logs: string[] = [];
    const workers = ['w1', 'w2'].map((writer) => createRecorder(dir, memoryLogger(logs), { writer, clock }));
    for (const worker of workers) worker.observe(outbound, answer);
    await Promise.all(workers.map((worker) => worker.flush()));
    expect(readdirSync(dir).sort()).toEqual([
      '2026-12-01T15-00-00.123Z-000001-w1-200.json',
      '2026-12-01T15-00-00.123Z-000001-w2-200.json',
    ]);
    // Nothing was refused for an existing name.
    expect(logs.filter((line) => !line.includes('"level":"debug"'))).toEqual([]);
  });

  it('without a writer (one process), the name is time, sequence and outcome', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'record-one-')), 'recorded');
    const recorder = createRecorder(dir, memoryLogger([]), { clock: new ManualClock(Date.UTC(2026, 11, 1)) });
    recorder.observe(outbound, answer);
    await recorder.flush();
    expect(readdirSync(dir)).toEqual(['2026-12-01T00-00-00.000Z-000001-200.json']);
  });

  it('a full disk leaves no empty files: nothing is written, ENOSPC is logged once, and once there is room again the folder replays', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'record-full-')), 'recorded');
    const logs: string[] = [];
    let full = true;
    // The disk fills up: each file is created and part of it lands before the write fails, as with ENOSPC.
    const files: RecordFiles = {
      ...diskFiles,
      writeNew: async (path, text) => {
        if (!full) return diskFiles.writeNew(path, text);
        writeFileSync(path, '', { flag: 'wx' });
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    const recorder = createRecorder(dir, memoryLogger(logs), { files });
    for (let viewer = 0; viewer < 150; viewer++)
      expect(() => recorder.observe({ ...outbound, path: `/check?token=t${viewer}` }, answer)).not.toThrow();
    await recorder.flush();
    expect(readdirSync(dir)).toEqual([]);
    const warnings = logs.filter((line) => line.includes('cannot write a recorded exchange'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ENOSPC');

    full = false;
    recorder.observe({ ...outbound, path: '/check?token=after' }, answer);
    await recorder.flush();
    expect(readdirSync(dir)).toHaveLength(1);
    expect(loadFixtures(dir)).toHaveLength(1);
  });
});
