import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { flatText } from '../../src/store/flatText.js';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const KEYS = 20_000;
const digestLike = (i: number) => `${i.toString(36).padStart(8, '0')}${'x'.repeat(35)}`;
/** Built as the cache builds decision keys: a route prefix joined to a slice of a longer digest. */
const ropeKey = (i: number) => `${`d:${'default'}:`}${digestLike(i).slice(0, 22)}`;

/** Heap kept per key after a full collection, with `keep` applied to each key before it is held. */
function bytesHeldPerKey(keep: (key: string) => string): number {
  collect();
  const before = process.memoryUsage().heapUsed;
  const held = Array.from({ length: KEYS }, (_, i) => keep(ropeKey(i)));
  collect();
  const perKey = (process.memoryUsage().heapUsed - before) / KEYS;
  expect(held).toHaveLength(KEYS);
  return perKey;
}

describe('flatText', () => {
  it('returns the same text', () => {
    const key = ropeKey(7);
    expect(flatText(key)).toBe(key);
    expect(flatText('')).toBe('');
    expect(flatText('\ud800 lone')).toBe('\ud800 lone');
  });

  it('lets a key built of pieces be kept as one string of its own length: about a third of the heap', () => {
    const asBuilt = bytesHeldPerKey((key) => key);
    const flat = bytesHeldPerKey(flatText);
    // A 32-character one-byte string is 48 bytes and its slot in the array 8; as built it also holds
    // its pieces (a concatenation, a slice and the slice's 43-character parent).
    expect(flat).toBeLessThan(64);
    expect(asBuilt).toBeGreaterThan(2 * flat);
  });
});
