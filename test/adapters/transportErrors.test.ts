import { describe, expect, it } from 'vitest';
import { BadAnswerHead } from '../../src/adapters/boundedSocket.js';
import { TransportError } from '../../src/adapters/exchange.js';
import { classify } from '../../src/adapters/transportErrors.js';

const coded = (code: string, message = 'from undici') => Object.assign(new Error(message), { code });

describe('classify', () => {
  it("passes the bridge's own failures on as they were given", () => {
    const own = new TransportError('too-large', 'answer exceeds 65536 bytes');
    expect(classify(own)).toBe(own);
  });

  it.each([
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'bad-answer'],
    ['EHOSTUNREACH', 'network'],
  ])('names %s as %s, without undici’s message (it may quote a URL with a token)', (code, kind) => {
    const failure = classify(coded(code, 'http://mw/check?token=s3cret'));
    expect(failure).toMatchObject({ kind });
    expect(failure.message).not.toContain('s3cret');
  });

  it('reads the code of the cause undici wraps, and calls a parser error unparseable', () => {
    expect(classify(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET' } }))).toMatchObject({
      kind: 'reset',
    });
    expect(classify(coded('HPE_INVALID_CONSTANT'))).toMatchObject({
      kind: 'unparseable',
      message: 'malformed HTTP answer (HPE_INVALID_CONSTANT)',
    });
  });

  it('calls a head refused before parsing a bad answer, and anything else a network failure', () => {
    expect(classify(new BadAnswerHead('a bare CR in the head'))).toMatchObject({ kind: 'bad-answer' });
    expect(classify('not even an error')).toMatchObject({ kind: 'network', message: 'connection failed (unknown)' });
  });
});
