import { describe, expect, it } from 'vitest';
import { storeTtlSeconds } from '../../src/store/ttl.js';

describe('storeTtlSeconds', () => {
  it('is whole seconds, rounded up, at least 1: 0 would end an entry as it is stored, and Redis refuses it', () => {
    expect([10, 1.2, 0.2, 0, -5].map(storeTtlSeconds)).toEqual([10, 2, 1, 1, 1]);
  });

  it('is 1 for what is no number of seconds, never forever', () => {
    expect([Number.NaN, Number.POSITIVE_INFINITY].map(storeTtlSeconds)).toEqual([1, 1]);
  });
});
