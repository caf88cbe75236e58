import { describe, expect, it } from 'vitest';
import { withQuery } from '../../src/protocols/outbound.js';

describe('withQuery', () => {
  it('appends a plain query as sent, after the query the backend URL has', () => {
    expect(withQuery(new URL('http://mw.local:8080/check'), 'token=a-b_c.d~e')).toEqual({
      origin: 'http://mw.local:8080',
      path: '/check?token=a-b_c.d~e',
    });
    expect(withQuery(new URL('http://mw/check?site=1'), 'token=x').path).toBe('/check?site=1&token=x');
  });

  it('leaves the URL as it is when the viewer sent no query', () => {
    expect(withQuery(new URL('http://mw/check?site=1'), '').path).toBe('/check?site=1');
    expect(withQuery(new URL('http://mw/check'), '').path).toBe('/check');
  });

  it('percent-encodes only what a request line cannot carry, and the fragment mark', () => {
    expect(withQuery(new URL('http://mw/check'), 'a=1#2').path).toBe('/check?a=1%232');
    expect(withQuery(new URL('http://mw/check'), 'a=x y\tz').path).toBe('/check?a=x%20y%09z');
    expect(withQuery(new URL('http://mw/check'), 'ch=тв').path).toBe('/check?ch=%D1%82%D0%B2');
    expect(withQuery(new URL('http://mw/check'), `q="'<>%41`).path).toBe(`/check?q="'<>%41`);
  });

  it('reads each URL as it is now: another URL of the same origin gets its own path', () => {
    const first = withQuery(new URL('http://mw/one'), 't=1');
    const second = withQuery(new URL('http://mw/two?x=y'), 't=1');
    expect([first.path, second.path]).toEqual(['/one?t=1', '/two?x=y&t=1']);
  });
});
