import { appendFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';

/*
 * A setup file, loaded only while scripts/suiteCost.ts runs the suite (SUITE_COST_DIR set): for each test file,
 * the CPU time of the vitest worker while the file's tests ran, and (through childCpu.mjs, preloaded into every
 * node process the file starts) the CPU of those processes.
 */
const dir = process.env.SUITE_COST_DIR!;
const ROOT = join(import.meta.dirname, '..', '..');
const PRELOAD = `--import ${join(import.meta.dirname, 'childCpu.mjs')}`;

let started: NodeJS.CpuUsage | undefined;
let startedAt = 0;
let file = '';

beforeAll(() => {
  file = relative(ROOT, expect.getState().testPath ?? '(unknown)');
  process.env.SUITE_COST_FILE = file;
  const options = process.env.NODE_OPTIONS ?? '';
  if (!options.includes(PRELOAD)) process.env.NODE_OPTIONS = `${options} ${PRELOAD}`.trim();
  started = process.cpuUsage();
  startedAt = performance.now();
});

afterAll(() => {
  const { user, system } = process.cpuUsage(started);
  const total = process.cpuUsage();
  const line = {
    file,
    worker: process.pid,
    cpuMs: Math.round((user + system) / 1000),
    wallMs: Math.round(performance.now() - startedAt),
    workerCpuMs: Math.round((total.user + total.system) / 1000),
  };
  appendFileSync(join(dir, 'files.jsonl'), `${JSON.stringify(line)}\n`);
});
