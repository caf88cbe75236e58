import { describe, expect, it } from 'vitest';
import { lifetimeOf } from '../../src/pipeline/lifetime.js';

const CACHE = { allowTtl: 300, denyTtl: 30, maxTtl: 3600 } as Parameters<typeof lifetimeOf>[0];

describe('lifetimeOf', () => {
  it("is the deciding step's own lifetime (a backend's X-AuthDuration), else allowTtl or denyTtl", () => {
    expect(lifetimeOf(CACHE, { allow: true, ttlSeconds: 120 })).toBe(120);
    expect(lifetimeOf(CACHE, { allow: true })).toBe(300);
    expect(lifetimeOf(CACHE, { allow: false })).toBe(30);
    expect(lifetimeOf(CACHE, { allow: false, ttlSeconds: 0 })).toBe(0);
  });

  it('never past maxTtl', () => {
    expect(lifetimeOf(CACHE, { allow: true, ttlSeconds: 86_400 })).toBe(3600);
    expect(lifetimeOf({ ...CACHE, allowTtl: 7200 }, { allow: true })).toBe(3600);
  });
});
