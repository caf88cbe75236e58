import { describe, expect, it } from 'vitest';
import { cleanText, headerToText, textToHeader } from '../src/headerText.js';

const asReceived = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('headerToText', () => {
  it('reads UTF-8 bytes as the text they mean', () => {
    expect(headerToText(asReceived('первый-hd'))).toBe('первый-hd');
  });
  it('keeps bytes that are not UTF-8 as they are (latin1)', () => {
    expect(headerToText('caf\xe9')).toBe('café');
  });
  it('removes CR, LF and control characters, turns tabs into spaces, bounds the length', () => {
    expect(headerToText('alice\r\nSet-Cookie: x=1')).toBe('aliceSet-Cookie: x=1');
    expect(headerToText('a\u0000b\u007fc\td\u009b')).toBe('abc d');
    expect(headerToText('x'.repeat(5000))).toHaveLength(1024);
    expect(headerToText('\r\n')).toBeUndefined();
    expect(headerToText(undefined)).toBeUndefined();
  });
  it('leaves printable ASCII as it is anywhere in a value, up to the length bound, spaces at either end trimmed', () => {
    for (let code = 0x20; code <= 0x7e; code++) {
      const char = String.fromCharCode(code);
      for (const text of [`a${char}b`, `${char}ab`, `ab${char}`])
        expect(headerToText(text)).toBe(code === 0x20 ? text.trim() : text);
    }
    expect(headerToText('x'.repeat(1024))).toBe('x'.repeat(1024));
    expect(headerToText(` ${'x'.repeat(1023)}`)).toBe('x'.repeat(1023));
    expect(headerToText('')).toBeUndefined();
  });
  it('takes the first of repeated values', () => {
    expect(headerToText(['first', 'second'])).toBe('first');
  });
});

describe('textToHeader', () => {
  it('writes text as UTF-8 bytes, one character per byte', () => {
    expect(textToHeader('Дима')).toBe(asReceived('Дима'));
    expect(textToHeader('alice')).toBe('alice');
  });
  it('never lets CR/LF or controls through', () => {
    expect(textToHeader('a\r\nX-Evil: 1\u0000')).toBe('aX-Evil: 1');
    expect(textToHeader('\n')).toBeUndefined();
    expect(textToHeader(undefined)).toBeUndefined();
  });
  it('round-trips with headerToText', () => {
    for (const text of ['alice', 'Дима pro', 'http://promo.example.com/промо', '名字']) {
      expect(headerToText(textToHeader(text))).toBe(text);
    }
  });
});

describe('cleanText (a name read from a middleware body)', () => {
  it('cleans as a header is cleaned: tabs as spaces, controls dropped, trimmed, bounded, empty as none', () => {
    expect(cleanText(' al\tice\u0000\u009b ')).toBe('al ice');
    expect(cleanText('Иван')).toBe('Иван');
    expect(cleanText('x'.repeat(2000))).toHaveLength(1024);
    expect(cleanText('\r\n')).toBeUndefined();
  });
});
