import { describe, expect, it } from 'vitest';
import { AnswerHeadScanner } from '../../src/adapters/answerHead.js';

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const FINAL = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n100';

/** What undici's parser would be handed: the chunks as the scanner left them, joined; or the problem it found. */
function passedOn(pieces: readonly string[]): string {
  const scanner = new AnswerHeadScanner();
  const chunks = pieces.map((piece) => Buffer.from(piece, 'latin1'));
  for (const chunk of chunks) {
    const problem = scanner.scan(chunk);
    if (problem !== undefined) return `refused: ${problem}`;
  }
  return Buffer.concat(chunks).toString('latin1');
}

describe('answer heads: an unasked 100 Continue', () => {
  it('is handed on as an interim 102, however the bytes are cut, and the real answer after it untouched', () => {
    const text = CONTINUE + FINAL;
    const expected = `HTTP/1.1 102 Continue\r\n\r\n${FINAL}`;
    expect(passedOn([text])).toBe(expected);
    for (let at = 1; at < text.length; at++)
      expect(passedOn([text.slice(0, at), text.slice(at)]), `cut at ${at}`).toBe(expected);
    expect(passedOn([...text])).toBe(expected);
  });

  it('rewrites every 100 of one answer, and an HTTP/1.0 one too', () => {
    expect(passedOn([CONTINUE + CONTINUE.replace('1.1', '1.0') + FINAL])).toBe(
      `HTTP/1.1 102 Continue\r\n\r\nHTTP/1.0 102 Continue\r\n\r\n${FINAL}`,
    );
  });

  it('leaves every other status alone, and a 100 that is not in a status line', () => {
    for (const status of ['101 Switching Protocols', '103 Early Hints', '200 OK', '110 x', '10 x'])
      expect(passedOn([`HTTP/1.1 ${status}\r\n\r\n`])).toBe(`HTTP/1.1 ${status}\r\n\r\n`);
    expect(passedOn(['HTTP/1.1 200 OK\r\nX-Status: 100\r\nX-Long: HTTP/1.1 100\r\nContent-Length: 0\r\n\r\n'])).toBe(
      'HTTP/1.1 200 OK\r\nX-Status: 100\r\nX-Long: HTTP/1.1 100\r\nContent-Length: 0\r\n\r\n',
    );
    expect(passedOn(['XTTP/1.1 100 Continue\r\n\r\n'])).toBe('XTTP/1.1 100 Continue\r\n\r\n');
  });

  it('never touches a body, even one that reads like a 100 status line', () => {
    const body = CONTINUE;
    const answer = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    expect(passedOn([answer])).toBe(answer);
  });

  it("counts interim 100 heads into the answer's totals like any other", () => {
    const many = CONTINUE.repeat(Math.ceil((16 * 1024) / CONTINUE.length));
    expect(passedOn([many + FINAL])).toBe('refused: a head over 16384 bytes');
  });
});
