import { describe, expect, it } from 'vitest';
import { boundedMemo } from '../src/memo.js';

/** A memo of `compute` that counts how often it really computed. */
function counted<V>(compute: (input: string) => V, max: number) {
  const computed: string[] = [];
  const memo = boundedMemo((input) => {
    computed.push(input);
    return compute(input);
  }, max);
  return { memo, computed };
}

describe('boundedMemo', () => {
  it('computes each input once and answers it again from memory', () => {
    const { memo, computed } = counted((input) => input.toUpperCase(), 10);
    expect([memo('a'), memo('b'), memo('a'), memo('b')]).toEqual(['A', 'B', 'A', 'B']);
    expect(computed).toEqual(['a', 'b']);
  });

  it('starts over once it holds `max` inputs: memory stays bounded whatever the inputs', () => {
    const { memo, computed } = counted((input) => input.length, 2);
    memo('a');
    memo('bb');
    memo('ccc'); // full: forgets a and bb, remembers ccc
    memo('ccc');
    memo('a');
    expect(computed).toEqual(['a', 'bb', 'ccc', 'a']);
  });

  it('does not remember an undefined result: the next call computes again', () => {
    const { memo, computed } = counted((input) => (input === 'known' ? 1 : undefined), 10);
    expect(memo('unknown')).toBeUndefined();
    expect(memo('unknown')).toBeUndefined();
    expect(memo('known')).toBe(1);
    expect(memo('known')).toBe(1);
    expect(computed).toEqual(['unknown', 'unknown', 'known']);
  });

  it('remembers falsy results other than undefined', () => {
    const { memo, computed } = counted((input) => (input === 'zero' ? 0 : null), 10);
    expect([memo('zero'), memo('zero'), memo('null'), memo('null')]).toEqual([0, 0, null, null]);
    expect(computed).toEqual(['zero', 'null']);
  });
});
