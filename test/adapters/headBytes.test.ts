import { describe, expect, it } from 'vitest';
import { isOneNumber, nameIs, opensStatusLine } from '../../src/adapters/headBytes.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('head bytes', () => {
  it('reads one number as the string way did: digits, 1 to 15 of them, blanks around them taken off as trim() does', () => {
    const values = [
      '0',
      '2',
      ' 12 ',
      '\t7\t',
      '\xa09\xa0',
      '\x0b1\x0c',
      '123456789012345',
      '1234567890123456',
      '',
      '   ',
      '2, 2',
      '1 2',
      '+1',
      '-1',
      '0x1',
      '1e3',
      '١',
      '\x851',
      '12a',
    ];
    for (const value of values) {
      const line = bytes(`Content-Length:${value}`);
      expect(isOneNumber(line, 15, line.length), JSON.stringify(value)).toBe(/^\d{1,15}$/.test(value.trim()));
    }
  });

  it('reads only the bytes between from and to', () => {
    expect(isOneNumber(bytes('x: 12 junk'), 2, 6)).toBe(true);
    expect(isOneNumber(bytes('x: 12 junk'), 2, 7)).toBe(false);
  });

  it('knows a status line by its opening, as the regular expression did', () => {
    const lines = [
      'HTTP/1.1 200 OK',
      'HTTP/1.0 403',
      'HTTP/2.0 999 x',
      'HTTP/1.1 20',
      'http/1.1 200 OK',
      'HTTP/1.1  200',
      'HTTP/11 200 OK',
      'ICY 200 OK',
      '',
    ];
    for (const line of lines)
      expect(opensStatusLine(bytes(line), line.length), line).toBe(/^HTTP\/(\d\.\d) (\d)\d\d$/.test(line.slice(0, 12)));
  });

  it('compares a header name in any case, and nothing but letters loosely', () => {
    const name = bytes('content-length');
    expect(nameIs(bytes('Content-Length: 1'), name)).toBe(true);
    expect(nameIs(bytes('CONTENT-LENGTH: 1'), name)).toBe(true);
    expect(nameIs(bytes('content\rlength: 1'), name)).toBe(false);
    expect(nameIs(bytes('x-authduration: 1'), name)).toBe(false);
  });
});
