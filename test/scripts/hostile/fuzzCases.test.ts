import { describe, expect, it } from 'vitest';
import { FUZZ_KINDS, fuzzCases, READ_HEADERS, seededRandom } from '../../../scripts/hostile/fuzzCases.js';

describe('fuzzCases', () => {
  it('gives the same cases for the same seed, and other cases for another seed', () => {
    const text = (seed: number) => [...fuzzCases(200, seed)].map((c) => `${c.kind}:${c.request.pieces.join('')}`);
    expect(text(7)).toEqual(text(7));
    expect(text(7)).not.toEqual(text(8));
  });

  it('draws every kind of case in 10,000, each often enough to count; control bytes in every header the bridge reads; heads of 200 KB and 2 MB', () => {
    const counts = new Map<string, number>();
    const controlled = new Set<string>();
    const oversize: number[] = [];
    for (const c of fuzzCases(10_000, 1)) {
      counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
      const bytes = c.request.pieces.join('');
      if (c.kind === 'control-bytes')
        for (const header of READ_HEADERS) if (bytes.includes(header.slice(3))) controlled.add(header);
      if (c.kind === 'oversize') oversize.push(bytes.length);
    }
    expect([...counts.keys()].sort()).toEqual([...FUZZ_KINDS].sort());
    for (const n of counts.values()) expect(n).toBeGreaterThan(300);
    expect([...controlled].sort()).toEqual([...READ_HEADERS].sort());
    expect(oversize.some((size) => size > 200_000 && size < 300_000)).toBe(true);
    expect(oversize.some((size) => size > 2_000_000)).toBe(true);
  });

  it('ends every case so that the bridge must close: a half-close, Connection: close, or bytes it refuses', () => {
    for (const c of fuzzCases(2000, 3)) {
      const bytes = c.request.pieces.join('');
      // A pipelined case that does not end with a closing check ends with bytes the bridge refuses.
      const closes = c.request.halfClose === true || /Connection: close\r\n\r\n$/.test(bytes) || c.kind === 'pipelined';
      expect(closes, `${c.kind}: ${JSON.stringify(bytes.slice(0, 120))}`).toBe(true);
    }
  });

  it('seededRandom stays in [0, 1)', () => {
    const random = seededRandom(42);
    for (let n = 0; n < 1000; n += 1) {
      const value = random();
      expect(value >= 0 && value < 1).toBe(true);
    }
  });
});
