import { describe, expect, it } from 'vitest';
import { headerToText, textToHeader } from '../src/headerText.js';

describe('plain header text', () => {
  it('comes back as it is: printable ASCII, no space at either end, up to 1024 characters', () => {
    let printable = '';
    for (let code = 0x21; code <= 0x7e; code++) printable += String.fromCharCode(code);
    for (const text of [printable, 'a b', 'x', '~'.repeat(1024)]) {
      expect(headerToText(text)).toBe(text);
      expect(textToHeader(text)).toBe(text);
    }
  });

  it('is cleaned otherwise: spaces at the ends, controls, tabs, past 1024 characters', () => {
    expect(headerToText(' a ')).toBe('a');
    expect(headerToText('a\tb')).toBe('a b');
    expect(headerToText('a\u0000b\u007fc')).toBe('abc');
    expect(headerToText('x'.repeat(1025))).toBe('x'.repeat(1024));
    expect(headerToText(' ')).toBeUndefined();
    expect(headerToText('')).toBeUndefined();
    expect(textToHeader(' a')).toBe('a');
    expect(textToHeader('ü')).toBe(Buffer.from('ü', 'utf8').toString('latin1'));
  });
});
