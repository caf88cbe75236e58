import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CLI, handlesSignal, holdsOpen } from '../support/cli.js';
import { logLines } from '../support/logLines.js';
import { adminUrlOf, workersOf } from '../support/workerGroup.js';

// What the primary of `serve --workers 2` does with signals, as an operator reads it in the log
// (README: Several cores, Reloading the configuration): through the real CLI (dist/cli.js).
const dir = mkdtempSync(join(tmpdir(), 'bridge-primary-'));
const statsFile = join(dir, 'stats.db');
const configFile = join(dir, 'bridge.yaml');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configText = (defaultAnswer: 'allow' | 'deny', extra = '') =>
  `listen: 127.0.0.1:0\nadmin: {listen: 127.0.0.1:0}\nstats: {store: sqlite, path: ${statsFile}}\n` +
  `routes: {default: {backends: [], default: ${defaultAnswer}}}\n${extra}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The processes the primary started (its workers). */
function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
}

describe('serve --workers 2: signals to the primary', { timeout: 90_000 }, () => {
  it('a SIGHUP before the group serves reloads every worker once it does; an invalid reload is logged once; a stop names its cause', async () => {
    // Another program holds the statistics file locked: the lead waits (at most a second) before it serves.
    const locker = new Database(statsFile);
    locker.exec('CREATE TABLE other (x); BEGIN EXCLUSIVE; INSERT INTO other VALUES (1);');
    const first = configText('allow');
    writeFileSync(configFile, first);
    const child = spawn(process.execPath, [CLI, 'serve', '--workers', '2', '--config', configFile]);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = () => logLines(output);
    try {
      // Worker 2 serves while the lead, past reading the file, is held at the statistics file.
      await vi.waitFor(
        () => {
          expect(lines().some((line) => line.message === 'worker listening' && line.worker === 2)).toBe(true);
          expect(childrenOf(child.pid!).some((pid) => holdsOpen(pid, statsFile))).toBe(true);
        },
        { timeout: 60_000, interval: 20 },
      );
      expect(lines().some((line) => line.message === 'listening')).toBe(false);
      const second = configText('deny');
      writeFileSync(configFile, second);
      child.kill('SIGHUP');
      locker.close();

      const admin = await adminUrlOf(() => output);
      await expect
        .poll(
          async () => (await workersOf(admin)).map((worker) => (worker as { configSha256?: string }).configSha256),
          {
            timeout: 20_000,
          },
        )
        .toEqual([sha256(second), sha256(second)]);
      expect(lines().filter((line) => line.message === 'config reloaded')).toHaveLength(1);

      // An invalid file: one line for the group, for a SIGHUP as for POST /admin/reload.
      writeFileSync(configFile, configText('deny', 'cache: {allowTtl: -5}\n'));
      const refusedLines = () => lines().filter((line) => String(line.message).startsWith('config not reloaded'));
      child.kill('SIGHUP');
      await vi.waitFor(() => expect(refusedLines()).toHaveLength(1), { timeout: 20_000 });
      // Each worker reloads one at a time: the admin reload's answer comes after every worker's SIGHUP reload.
      const answer = await fetch(`${admin}/admin/reload`, { method: 'POST' });
      expect(((await answer.json()) as { result: string }).result).toBe('invalid');
      expect(refusedLines().map((line) => [line.trigger, line.problems])).toEqual([
        ['signal', ['cache.allowTtl: Too small: expected number to be >=1']],
        ['admin', ['cache.allowTtl: Too small: expected number to be >=1']],
      ]);
      expect(lines().some((line) => line.message === 'workers did not all reload alike')).toBe(false);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const stopping = lines().filter((line) => line.message === 'worker stopping');
      expect(stopping.map((line) => [line.worker, line.reason]).sort()).toEqual([
        [1, 'the primary got SIGTERM'],
        [2, 'the primary got SIGTERM'],
      ]);
      expect(
        lines()
          .filter((line) => line.message === 'worker stopped')
          .map((line) => line.worker)
          .sort(),
      ).toEqual([1, 2]);
      expect(output).not.toContain('"signal":"primary"');
    } finally {
      if (locker.open) locker.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('a worker a SIGHUP ended while it loaded is started again, without failing the group or slowing its restarts', async () => {
    writeFileSync(configFile, configText('allow').replace(/stats: .*\n/, 'stats: {store: off}\n'));
    const marker = join(dir, 'slow-worker.pid');
    rmSync(marker, { force: true });
    const child = spawn(process.execPath, [CLI, 'serve', '--workers', '2', '--config', configFile], {
      env: {
        ...process.env,
        NODE_OPTIONS: `--require ${join(import.meta.dirname, 'support', 'slowWorkerStart.cjs')}`,
        SLOW_START_MARKER: marker,
      },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      // The worker holds still before any of its code runs: a SIGHUP now ends it, as Node's default does.
      await vi.waitFor(() => expect(readFileSync(marker, 'utf8')).toMatch(/^\d+$/), { timeout: 15_000, interval: 10 });
      process.kill(Number(readFileSync(marker, 'utf8')), 'SIGHUP');

      await vi.waitFor(() => expect(logLines(output).some((line) => line.message === 'listening')).toBe(true), {
        timeout: 30_000,
      });
      expect(logLines(output).find((line) => line.message === 'worker died; starting it again')).toMatchObject({
        signal: 'SIGHUP',
        inMs: 1000,
      });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('a SIGTERM while the group starts stops it with exit 0, workers still starting included', async () => {
    writeFileSync(configFile, configText('allow').replace(/stats: .*\n/, 'stats: {store: off}\n'));
    const child = spawn(process.execPath, [CLI, 'serve', '--workers', '2', '--config', configFile]);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (code, killedBy) => resolve([code, killedBy])),
    );
    try {
      // The primary's own code runs (its SIGHUP handler comes first); it forks no worker before it has read the file.
      await vi.waitFor(() => expect(handlesSignal(child.pid!, 'SIGHUP')).toBe(true), { timeout: 15_000, interval: 5 });
      child.kill('SIGTERM');

      expect(await exited).toEqual([0, null]);
      expect(logLines(output).find((line) => line.message === 'stopping')).toMatchObject({ signal: 'SIGTERM' });
      expect(logLines(output).some((line) => line.level === 'error')).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
