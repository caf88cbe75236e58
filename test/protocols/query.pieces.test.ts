import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../src/protocols/query.js';

describe('parseQuery, piece by piece', () => {
  it.each([
    ['', []],
    ['token=t', [['token', ['t']]]],
    ['&', []],
    ['&&a=1&', [['a', ['1']]]],
    [
      'a&b',
      [
        ['a', ['']],
        ['b', ['']],
      ],
    ],
    ['=', [['', ['']]]],
    [
      'a=1&&a=2&b=&c',
      [
        ['a', ['1', '2']],
        ['b', ['']],
        ['c', ['']],
      ],
    ],
    ['a=x=y', [['a', ['x=y']]]],
  ])('reads %j as the pairs between its ampersands, empty pieces left out', (raw, pairs) => {
    expect([...parseQuery(raw)]).toEqual(pairs);
  });
});
