import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { TextPool } from '../../src/store/textPool.js';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** The same text as a string of its own, as each parsed header value is. */
const parsed = (text: string) => Buffer.from(text).toString();

const COPIES = 50_000;

/** Heap kept per value when `COPIES` values each hold what `keep` makes of their own copy of one name. */
function bytesPerValue(keep: (text: string) => string): number {
  collect();
  const before = process.memoryUsage().heapUsed;
  const held = Array.from({ length: COPIES }, () => keep(parsed('subscriber-0042-premium')));
  collect();
  expect(held.every((text) => text === 'subscriber-0042-premium')).toBe(true);
  return (process.memoryUsage().heapUsed - before) / COPIES;
}

describe('TextPool', () => {
  it('hands every equal text back as the one copy it holds', () => {
    const pool = new TextPool(10);
    const measure = (keep: (text: string) => string) => Math.min(bytesPerValue(keep), bytesPerValue(keep));
    // Each measured twice: the first run also counts the code compiled for it.
    const own = measure((text) => text);
    const shared = measure((text) => pool.keep(text));
    // An own copy of a 23-character name is 40 bytes more per value than the slot that holds it.
    expect(own - shared).toBeGreaterThan(30);
  });

  it('answers undefined as undefined, and every text as it is after it starts over past its bound', () => {
    const pool = new TextPool(3);
    expect(pool.keep(undefined)).toBeUndefined();
    for (let i = 0; i < 10; i++) expect(pool.keep(`name-${i}`)).toBe(`name-${i}`);
    expect(pool.keep(parsed('name-9'))).toBe('name-9');
  });
});
