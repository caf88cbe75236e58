import { describe, expect, it } from 'vitest';
import { RequestProblem } from '../../src/requestProblem.js';
import { parseQuery, single } from '../../src/protocols/query.js';

describe('parseQuery', () => {
  it('decodes keys and values, + as space', () => {
    const query = parseQuery('token=a%2Fb&auth=j%C3%B6rg:pa+ss&flag&=empty-key');
    expect(single(query, 'token')).toBe('a/b');
    expect(single(query, 'auth')).toBe('jörg:pa ss');
    expect(single(query, 'flag')).toBe('');
    expect(single(query, 'missing')).toBeUndefined();
  });

  it.each(['token=%zz', 'token=%E0%A4%A', '%=x', 'a=%'])('refuses broken percent-encoding in %s with a 400', (raw) => {
    expect(() => parseQuery(raw)).toThrow(RequestProblem);
    try {
      parseQuery(raw);
    } catch (error) {
      expect((error as RequestProblem).status).toBe(400);
    }
  });

  it('keeps array-style keys as plain names: token[] is not token', () => {
    const query = parseQuery('token[]=a&token[0]=b');
    expect(single(query, 'token')).toBeUndefined();
    expect(query.get('token[]')).toEqual(['a']);
  });

  it('refuses a parameter the bridge acts on when it is repeated', () => {
    const query = parseQuery('token=a&token=b&other=1&other=2');
    expect(() => single(query, 'token')).toThrow(/given more than once/);
    expect(query.get('other')).toEqual(['1', '2']);
  });

  it('reads a parameter the bridge acts on in any case, and refuses it spelled twice', () => {
    expect(single(parseQuery('Token=a&x=1'), 'token')).toBe('a');
    expect(single(parseQuery('TOKEN=a'), 'token')).toBe('a');
    expect(() => single(parseQuery('token=a&Token=b'), 'token')).toThrow(/"token" is given more than once/);
    expect(() => single(parseQuery('Token=a&TOKEN=a'), 'token')).toThrow(/given more than once/);
    // Other names of the same length are not mistaken for it.
    expect(single(parseQuery('tokex=a&TOKE=b'), 'token')).toBeUndefined();
  });
});
