import { describe, expect, it } from 'vitest';
import { referenceProblems } from '../../src/config/references.js';

describe('references between parts of a config', () => {
  it('names every route backend that is not defined, whatever else is wrong', () => {
    expect(
      referenceProblems({
        backends: { a: { type: 'nonsense' } },
        routes: { one: { backends: ['a', 'b'] }, two: { backends: ['c', 7] }, three: 'not a route' },
      }),
    ).toEqual([
      'routes.one.backends[1]: unknown backend "b" (defined: a)',
      'routes.two.backends[0]: unknown backend "c" (defined: a)',
    ]);
    expect(referenceProblems({ routes: { r: { backends: ['x'] } } })).toEqual([
      'routes.r.backends[0]: unknown backend "x" (defined: none)',
    ]);
  });

  it('checks users that are valid on their own, with their positions in the file', () => {
    const problems = referenceProblems({
      packages: { basic: ['a001'] },
      users: [
        { login: 'ann', password: 'pw', token: 'tok-1' },
        { login: 'broken' },
        { login: 'ann', token: 'tok-1', packages: ['basic', 'gold'] },
      ],
    });
    expect(problems).toEqual([
      'users[2].login: "ann" is also users[0]',
      'users[2].token: the same token as users[0]',
      'users[2].packages[1]: unknown package "gold" (defined: basic)',
    ]);
    expect(problems.join('\n')).not.toContain('tok-1');
  });

  it('leaves shapes it cannot read to the schema', () => {
    expect(referenceProblems({ routes: [1, 2], users: 'x', packages: { basic: 'not a list' } })).toEqual([]);
  });
});
