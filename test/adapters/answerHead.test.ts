import { describe, expect, it } from 'vitest';
import { AnswerHeadScanner, MAX_HEAD_BYTES, MAX_HEADER_LINES } from '../../src/adapters/answerHead.js';

const head = (lines: readonly string[], status = 'HTTP/1.1 200 OK') =>
  `${status}\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`;

/** What the scanner says about `text` fed in the given pieces: the first problem, or undefined. */
function scan(pieces: readonly string[], scanner = new AnswerHeadScanner()): string | undefined {
  for (const piece of pieces) {
    const problem = scanner.scan(Buffer.from(piece, 'latin1'));
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The same verdict however the bytes are cut in two, as TCP may cut them. */
function scanEverySplit(text: string): string | undefined {
  const whole = scan([text]);
  for (let at = 1; at < text.length; at++)
    expect(scan([text.slice(0, at), text.slice(at)]), `cut at ${at}`).toBe(whole);
  return whole;
}

describe('answer heads: bounds', () => {
  it('passes a usual head and never reads the body', () => {
    expect(
      scanEverySplit(`${head(['Content-Length: 12', 'X-Session-Name: alice'])}\r\n\n\rbody\r\n\r\n`),
    ).toBeUndefined();
  });

  it(`allows ${MAX_HEADER_LINES} header lines, not one more`, () => {
    const lines = Array.from({ length: MAX_HEADER_LINES }, (_, i) => `X-H${i}: v`);
    expect(scan([head(lines)])).toBeUndefined();
    expect(scan([head([...lines, 'X-One: more'])])).toBe(`more than ${MAX_HEADER_LINES} header lines`);
  });

  it(`allows ${MAX_HEAD_BYTES} bytes of head, not one more, with or without its end`, () => {
    const filler = (bytes: number) => head([`X-Fill: ${'f'.repeat(bytes - head(['X-Fill: ']).length)}`]);
    expect(filler(MAX_HEAD_BYTES).length).toBe(MAX_HEAD_BYTES);
    expect(scan([filler(MAX_HEAD_BYTES)])).toBeUndefined();
    expect(scan([filler(MAX_HEAD_BYTES + 1)])).toBe(`a head over ${MAX_HEAD_BYTES} bytes`);
    expect(scan(['HTTP/1.1 200 OK\r\nX-Endless: ', 'e'.repeat(MAX_HEAD_BYTES)])).toBe(
      `a head over ${MAX_HEAD_BYTES} bytes`,
    );
  });

  it('reads a head trickled one byte at a time as it reads it whole', () => {
    const lines = Array.from({ length: MAX_HEADER_LINES }, (_, i) => `X-H${i}: v`);
    expect(scan([...head(lines)])).toBeUndefined();
    expect(scan([...head([...lines, 'X-One: more'])])).toBe(`more than ${MAX_HEADER_LINES} header lines`);
  });

  it('counts interim (1xx) heads into the same totals, and reads the answer after them', () => {
    expect(
      scanEverySplit(head(['Link: </a.css>'], 'HTTP/1.1 103 Early Hints') + head(['Content-Length: 0'])),
    ).toBeUndefined();
    const interim = head(
      Array.from({ length: 60 }, (_, i) => `Link: <${i}>`),
      'HTTP/1.1 103 Early Hints',
    );
    expect(scan([interim + interim + head([])])).toBe(`more than ${MAX_HEADER_LINES} header lines`);
  });

  it('starts over for the next answer once a request follows a complete head', () => {
    const lines = Array.from({ length: 70 }, (_, i) => `X-H${i}: v`);
    const scanner = new AnswerHeadScanner();
    expect(scan([head(lines)], scanner)).toBeUndefined();
    scanner.requestSent();
    expect(scan([head(lines)], scanner)).toBeUndefined();
  });

  it('does not start over while a head is still arriving (a request body written meanwhile)', () => {
    const lines = Array.from({ length: 60 }, (_, i) => `X-H${i}: v`);
    const scanner = new AnswerHeadScanner();
    expect(scan([`HTTP/1.1 200 OK\r\n${lines.join('\r\n')}\r\n`], scanner)).toBeUndefined();
    scanner.requestSent();
    expect(scan([head(lines).slice('HTTP/1.1 200 OK\r\n'.length)], scanner)).toBe(
      `more than ${MAX_HEADER_LINES} header lines`,
    );
  });
});

describe('answer heads: framing two readers could read differently', () => {
  it.each<[string, string]>([
    ['both Content-Length and Transfer-Encoding', head(['Content-Length: 0', 'Transfer-Encoding: chunked'])],
    ['both Content-Length and Transfer-Encoding', head(['transfer-encoding: chunked', 'CONTENT-LENGTH: 5'])],
    ['more than one Content-Length', head(['Content-Length: 2', 'Content-Length: 3'])],
    ['more than one Content-Length', head(['Content-Length: 2', 'Content-Length: 2'])],
    ['a Content-Length that is not one number', head(['Content-Length: 2, 2'])],
    ['a Content-Length that is not one number', head(['CONTENT-length: 2, 2'])],
    ['both Content-Length and Transfer-Encoding', head(['Content-Length: 0', 'TRANSFER-ENCODING: chunked'])],
    ['a Content-Length that is not one number', head(['Content-Length: -1'])],
    ['a Content-Length that is not one number', head(['Content-Length: 0x10'])],
    ['a Content-Length that is not one number', head(['Content-Length:'])],
    ['more than one Transfer-Encoding', head(['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'])],
    ['a Transfer-Encoding that does not end in chunked', head(['Transfer-Encoding: gzip'])],
    ['a Transfer-Encoding that does not end in chunked', head(['Transfer-Encoding: chunked, gzip'])],
    ['a Transfer-Encoding that does not end in chunked', head(['Transfer-Encoding: chunked, chunked'])],
    ['Transfer-Encoding in an HTTP/1.0 answer', head(['Transfer-Encoding: chunked'], 'HTTP/1.0 200 OK')],
    ['a folded header line', head(['X-Session-Name: a', ' continued'])],
    ['a folded header line', head(['X-Session-Name: a', '\tcontinued'])],
    ['a bare CR in the head', head(['X-Session-Name: a\rX-Location: http://evil.example/'])],
    ['a bare CR in the head', 'HTTP/1.1 200 OK\r\r\n\r\n'],
    ['a line ending in a bare LF', head(['X-Session-Name: a\nX-Location: http://evil.example/'])],
    ['a line ending in a bare LF', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n'],
    ['a line ending in a bare LF', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n'],
    ['a content-length line over 128 bytes', head([`Content-Length: ${' '.repeat(120)}5`])],
    ['a transfer-encoding line over 128 bytes', head([`Transfer-Encoding: ${'gzip, '.repeat(20)}chunked`])],
  ])('refuses %s', (problem, text) => {
    expect(scanEverySplit(text)).toBe(problem);
  });

  it.each([
    ['one Content-Length', head(['Content-Length: 17'])],
    ['chunked', head(['Transfer-Encoding: chunked'])],
    ['codings ending in chunked', head(['Transfer-Encoding: gzip, Chunked'])],
    ['neither (read to the end of the connection)', head(['X-Session-Name: a'])],
    [
      'names like the framing headers',
      head(['Content-Lengthy: 1, 2', 'X-Content-Length: a', 'Transfer-Encodings: gzip', 'Content-Length: 1']),
    ],
    [
      'names as long as the framing headers, in any case',
      head([
        'X-AuthDuration: 1, 2',
        'X-SESSION-NAME: a',
        'Content-Lengtm: x',
        'Transfer-Encodinf: gzip',
        'CoNtEnT-LeNgTh: 3',
      ]),
    ],
  ])('passes %s', (_what, text) => {
    expect(scanEverySplit(text)).toBeUndefined();
  });

  it('leaves what is not HTTP at all to the parser, which refuses it in its own words', () => {
    expect(scan(['SSH-2.0-OpenSSH_9.6\r\n'])).toBeUndefined();
  });
});
