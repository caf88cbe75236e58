import { describe, expect, it } from 'vitest';
import { RequestProblem } from '../../src/requestProblem.js';
import { parseQuery, readableQuery, single } from '../../src/protocols/query.js';

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

  it('keeps array-style keys as plain names, but refuses one a middleware may read as a parameter the bridge acts on', () => {
    const query = parseQuery('token[]=a&tokens[0]=b');
    expect(query.get('token[]')).toEqual(['a']);
    // PHP reads token[]=a as the token (an array): the bridge, which saw no token, must not ask about it.
    expect(() => single(query, 'token')).toThrow(
      'query parameter "token" is given as token[…]: give it once, as token=',
    );
    for (const raw of ['token[]=a', 'Token[x]=a', 'token=a&token[]=b', 'token%5B%5D=a', '%20token[]=a'])
      expect(() => single(readableQuery(raw), 'token'), raw).toThrow(/given as token\[…\]/);
    expect(single(parseQuery('tokens[0]=b&tokenx=1'), 'token')).toBeUndefined();
    // Without its `]`, PHP reads `token[` as `token_`: another parameter, not refused.
    expect(single(readableQuery('token[=x&token=a'), 'token')).toBe('a');
    expect(single('token[=x&token=a', 'token')).toBe('a');
    expect(() => single('token[a]=x', 'token')).toThrow(/given as token\[…\]/);
    expect(single('tokens[0]=b&tokenx=1', 'token')).toBeUndefined();
  });

  it('reads a name after leading spaces as the name, as PHP does: %20token= is token=', () => {
    expect(single(readableQuery('%20token=a'), 'token')).toBe('a');
    expect(single(readableQuery('+token=a'), 'token')).toBe('a');
    expect(single(' token=a', 'token')).toBe('a');
    expect(() => single(readableQuery('token=a&%20%20token=b'), 'token')).toThrow(/given more than once/);
    expect(() => single('token=a& token=b', 'token')).toThrow(/given more than once/);
  });

  it('reads a name up to a NUL as the name, as PHP does: token%00x= is token=', () => {
    expect(single(readableQuery('token%00=a'), 'token')).toBe('a');
    expect(single(readableQuery('token%00anything=a'), 'token')).toBe('a');
    expect(() => single(readableQuery('token=a&token%00=b'), 'token')).toThrow(/given more than once/);
    expect(() => single(readableQuery('token=a&%20Token%00x=b'), 'token')).toThrow(/given more than once/);
    // A body's raw text may hold the NUL byte itself.
    expect(single('token\0=a', 'token')).toBe('a');
    expect(() => single('token=a&token\0x=b', 'token')).toThrow(/given more than once/);
    // A NUL before the name is all of it ends it before: no token there.
    expect(single(readableQuery('%00token=a'), 'token')).toBeUndefined();
    expect(single(readableQuery('tokens%00=a'), 'token')).toBeUndefined();
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
    // The same on the raw text nearly every check is read from (nothing encoded), and only A-Z fold.
    expect(single(readableQuery('Token=a&x=1'), 'token')).toBe('a');
    expect(() => single(readableQuery('token=a&TOKEN=b'), 'token')).toThrow(/"token" is given more than once/);
    expect(single(readableQuery('tokex=a&TOKE=b&token2=c'), 'token')).toBeUndefined();
    expect(single(parseQuery('to%E2%84%AAen=a'), 'token')).toBeUndefined();
  });
});

/** What `single(parseQuery(raw), key)` gives: a value, or the RequestProblem's status and message. */
function parsedWhole(raw: string, key: string): unknown {
  try {
    return single(parseQuery(raw), key);
  } catch (error) {
    return { status: (error as RequestProblem).status, message: (error as RequestProblem).message };
  }
}

function walked(raw: string, key: string): unknown {
  try {
    return single(readableQuery(raw), key);
  } catch (error) {
    return { status: (error as RequestProblem).status, message: (error as RequestProblem).message };
  }
}

describe('readableQuery', () => {
  const queries = [
    '',
    'token=abc',
    'token=',
    'token',
    'tokens=abc',
    'xtoken=abc&token=real',
    'token=a&token=b',
    'token=a&token',
    'a=1&&token=t&',
    '&token=t=u',
    'token[]=a&token[0]=b',
    'auth=alice:secret&token=t',
    'token=a%2Fb',
    'token=a+b',
    'other=%zz&token=t',
    '%74oken=encoded-name',
    'token=%E0%A4%A',
    '=x&token=y',
    'tok=short&toke',
  ];
  it.each(queries)('reads %j as parsing it whole does, refusals included', (raw) => {
    for (const key of ['token', 'auth', 'tok'])
      expect(walked(raw, key), `${raw} ${key}`).toEqual(parsedWhole(raw, key));
  });

  it('refuses a repeated parameter and broken percent-encoding with a 400', () => {
    expect(walked('token=a&token=b', 'token')).toEqual({
      status: 400,
      message: 'query parameter "token" is given more than once',
    });
    expect(() => readableQuery('other=%zz&token=t')).toThrow(RequestProblem);
  });

  it('is the raw text itself when nothing in it is encoded: nothing to build', () => {
    expect(readableQuery('token=t&auth=a:b')).toBe('token=t&auth=a:b');
    expect(readableQuery('token=a+b')).toBeInstanceOf(Map);
  });
});
