import { describe, expect, it } from 'vitest';
import { MAX_WORKERS, parseWorkerCount } from '../../src/cluster/workerCount.js';

describe('parseWorkerCount', () => {
  it('takes a whole number of workers, or auto for one per core', () => {
    expect(parseWorkerCount('1')).toBe(1);
    expect(parseWorkerCount('4')).toBe(4);
    expect(parseWorkerCount(String(MAX_WORKERS))).toBe(MAX_WORKERS);
    expect(parseWorkerCount('auto', () => 6)).toBe(6);
    expect(parseWorkerCount('auto', () => 10_000)).toBe(MAX_WORKERS);
  });

  it.each(['0', '-1', '1.5', '2x', '', ' 2', 'AUTO', '1e3', String(MAX_WORKERS + 1), '0x2'])('refuses %j', (value) => {
    expect(parseWorkerCount(value)).toBeUndefined();
  });
});
