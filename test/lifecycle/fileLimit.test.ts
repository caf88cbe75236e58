import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LOW_FILE_LIMIT, openFileLimitIn, warnOfLowFileLimit } from '../../src/lifecycle/fileLimit.js';
import { memoryLogger } from '../support/bridge.js';
import { CLI } from '../support/cli.js';

const limitsText = (soft: string, hard: string) =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max processes             63432                63432                processes ',
    `Max open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     `,
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');

describe('openFileLimitIn', () => {
  it('reads the soft open-file limit', () => {
    expect(openFileLimitIn(limitsText('64', '64'))).toBe(64);
    expect(openFileLimitIn(limitsText('1024', '524288'))).toBe(1024);
  });

  it('is undefined when the limit is unlimited or the line is missing', () => {
    expect(openFileLimitIn(limitsText('unlimited', 'unlimited'))).toBeUndefined();
    expect(openFileLimitIn('Limit Soft Limit Hard Limit Units\n')).toBeUndefined();
  });
});

describe('warnOfLowFileLimit', () => {
  const warned = (limits: () => string) => {
    const lines: string[] = [];
    warnOfLowFileLimit(memoryLogger(lines), limits);
    return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  };

  it('warns once with the limit when it is below what a busy bridge needs', () => {
    expect(warned(() => limitsText('64', '64'))).toMatchObject([
      { level: 'warn', limit: 64, advised: LOW_FILE_LIMIT, message: expect.stringContaining('LimitNOFILE') },
    ]);
  });

  it('says nothing at or above it, when unlimited, or where there is no /proc to read', () => {
    expect(warned(() => limitsText(String(LOW_FILE_LIMIT), '524288'))).toEqual([]);
    expect(warned(() => limitsText('unlimited', 'unlimited'))).toEqual([]);
    expect(
      warned(() => {
        throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
      }),
    ).toEqual([]);
  });

  it('is said by serve when its process may open only 64 descriptors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-file-limit-'));
    const config = join(dir, 'bridge.yaml');
    writeFileSync(config, 'listen: 127.0.0.1:0\nadmin: {listen: "off"}\nstats: {store: off}\n');
    const child = spawn('sh', [
      '-c',
      `ulimit -n 64 && exec "$0" "$1" serve --config "$2"`,
      process.execPath,
      CLI,
      config,
    ]);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    await vi.waitFor(() => expect(output).toContain('"message":"listening"'), { timeout: 15_000 });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const warning = output.split('\n').find((line) => line.includes('open-file limit is low'));
    expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', limit: 64, advised: LOW_FILE_LIMIT });
  });
});
