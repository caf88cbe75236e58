import { describe, expect, it } from 'vitest';
import { nestsDeeperThan, repeatedKey } from '../src/jsonKeys.js';

describe('repeatedKey', () => {
  it('names the first key an object gives twice by its path, keys compared as JSON.parse reads them', () => {
    expect(repeatedKey('{"a":{"b":1,"c":2,"b":3}}')).toBe('a.b');
    expect(repeatedKey('{"list":[{"x":1},{"x":2}],"l\\u0069st":0}')).toBe('list');
    expect(repeatedKey('{"a":1,"b":{"a":2}}')).toBeUndefined();
  });
});

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(nestsDeeperThan('[[{"a":[1]}]]', 4)).toBe(false);
    expect(nestsDeeperThan('[[{"a":[[1]]}]]', 4)).toBe(true);
    expect(nestsDeeperThan('{"a":"[[[[[[[["}', 1)).toBe(false);
  });
});
