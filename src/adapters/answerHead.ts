import { isOneNumber, nameIs, opensStatusLine } from './headBytes.js';

/**
 * The bounds and framing rules of a middleware answer's head, checked on the
 * raw bytes before the HTTP parser sees them (see boundedSocket.ts for why).
 * Syntax is left to the parser; this only refuses what costs too much to parse
 * or what two readers could frame differently.
 */

/** Bytes of head (status line, header lines and line ends) an answer may have. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Header lines an answer may have. Real middlewares send about ten. */
export const MAX_HEADER_LINES = 100;

const SPACE = 0x20;
const TAB = 0x09;
const DIGIT_ONE = 0x31;
const DIGIT_ZERO = 0x30;
const DIGIT_TWO = 0x32;

const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1');

/**
 * The framing header a line could be, by where its first colon is, so other lines cost no string.
 * Compared, not looked up in an object by number: most lines' colon is at no framing name's
 * length (or is -1, a string key), and each such lookup missed through V8's slow path.
 */
function framingNameEndingAt(colon: number): Buffer | undefined {
  if (colon === CONTENT_LENGTH.length) return CONTENT_LENGTH;
  return colon === TRANSFER_ENCODING.length ? TRANSFER_ENCODING : undefined;
}
/** Bytes kept of each line: enough for a status line and any sane framing header. */
const KEPT_LINE_BYTES = 128;

/**
 * Whether the status line read so far (`kept`, one digit short) is an HTTP/1.x
 * `10` whose last digit `byte` makes it `100 Continue`.
 */
function endsContinue(kept: Buffer, byte: number): boolean {
  return (
    byte === DIGIT_ZERO &&
    kept[10] === DIGIT_ZERO &&
    kept[9] === DIGIT_ONE &&
    kept[8] === SPACE &&
    kept.toString('latin1', 0, 7) === 'HTTP/1.'
  );
}

/**
 * Reads the heads of the answers on one connection, byte by byte as they
 * arrive, in one pass: a head trickled in one byte at a time costs what it
 * would in one piece. Totals cover every head of one answer (1xx interim
 * heads included), so a stream of interim answers is bounded too.
 *
 * A `100 Continue` is the one interim answer undici refuses (it closes the
 * connection, taking it for an answer to an `Expect: 100-continue` it never
 * sent), though HTTP has a client read any 1xx as interim, asked for or not.
 * The scanner rewrites its status in the chunk, in place, to `102`, which
 * undici reads through like any other interim answer, and the real answer
 * after it is read.
 */
export class AnswerHeadScanner {
  private inHead = true;
  private statusSeen = false;
  private bytes = 0;
  private lines = 0;
  /** What the head of this answer has said about its framing so far. */
  private http10 = false;
  private informational = false;
  private contentLengths = 0;
  private transferEncodings = 0;
  private endsChunked = false;
  /** The line being read: its length so far (without CRLF), where its first colon is, whether a CR just came. */
  private lineLength = 0;
  private colonAt = -1;
  private afterCR = false;
  private readonly kept = Buffer.alloc(KEPT_LINE_BYTES);

  /** A request went out: once the last answer's head is done, the next bytes start a new answer. */
  requestSent(): void {
    if (this.inHead) return;
    this.inHead = true;
    this.bytes = 0;
    this.lines = 0;
    this.newHead();
  }

  /** The framing of a head not read yet (the next answer's, or the real one after an interim one). */
  private newHead(): void {
    this.statusSeen = false;
    this.http10 = false;
    this.informational = false;
    this.contentLengths = 0;
    this.transferEncodings = 0;
    this.endsChunked = false;
  }

  /**
   * Checks the next bytes from the middleware: a problem (never quoting the
   * answer), after which the connection is to be closed, or undefined. A
   * `100` status in `chunk` is rewritten to `102` (see above).
   */
  scan(chunk: Buffer): string | undefined {
    if (!this.inHead) return undefined;
    // The state of the line being read, in locals: this loop runs for every byte of every head.
    let bytes = this.bytes;
    let lineLength = this.lineLength;
    let colonAt = this.colonAt;
    let afterCR = this.afterCR;
    const kept = this.kept;
    // The loop's constants are locals: V8 folds a local constant into the loop, but loads a module's
    // (and checks it is set) on every byte, which was a quarter of the scanner's instructions.
    const LF = 0x0a;
    const CR = 0x0d;
    const COLON = 0x3a;
    /** Where a status line (`HTTP/1.1 100 Continue`) has the last digit of its status. */
    const STATUS_LAST_DIGIT_AT = 11;
    const maxBytes = MAX_HEAD_BYTES;
    const keptBytes = KEPT_LINE_BYTES;
    const length = chunk.length;
    for (let at = 0; at < length; at++) {
      if (++bytes > maxBytes) return `a head over ${MAX_HEAD_BYTES} bytes`;
      const byte = chunk[at]!;
      if (byte !== CR && byte !== LF) {
        if (afterCR) return 'a bare CR in the head';
        if (byte === COLON && colonAt === -1) colonAt = lineLength;
        if (lineLength === STATUS_LAST_DIGIT_AT && !this.statusSeen && endsContinue(kept, byte)) chunk[at] = DIGIT_TWO;
        if (lineLength < keptBytes) kept[lineLength] = byte;
        lineLength++;
      } else if (byte === CR) {
        if (afterCR) return 'a bare CR in the head';
        afterCR = true;
      } else {
        // Readers differ on a bare LF (one ends the line there, another reads on), so none is taken.
        if (!afterCR) return 'a line ending in a bare LF';
        this.bytes = bytes;
        const problem = this.lineEnded(lineLength, colonAt);
        if (problem !== undefined) return problem;
        lineLength = 0;
        colonAt = -1;
        afterCR = false;
        // The head is over: what follows is the body, undici's to read.
        if (!this.inHead) break;
      }
    }
    this.bytes = bytes;
    this.lineLength = lineLength;
    this.colonAt = colonAt;
    this.afterCR = afterCR;
    return undefined;
  }

  private lineEnded(length: number, colon: number): string | undefined {
    const kept = this.kept;
    if (!this.statusSeen) {
      this.statusSeen = true;
      // Not HTTP at all: the parser refuses it with its own words.
      if (!opensStatusLine(kept, length)) return undefined;
      // undici's parser asserts a status of 100 or more, and would fail it as an internal error, not an answer.
      if (kept[9] === DIGIT_ZERO) return 'a status code under 100';
      this.http10 = kept[5] === DIGIT_ONE && kept[7] === DIGIT_ZERO;
      this.informational = kept[9] === DIGIT_ONE;
      return undefined;
    }
    if (length === 0) return this.headEnd();
    if (++this.lines > MAX_HEADER_LINES) return `more than ${MAX_HEADER_LINES} header lines`;
    // A folded line continues the one before: two readers can disagree on what it belongs to.
    if (kept[0] === SPACE || kept[0] === TAB) return 'a folded header line';
    const framing = framingNameEndingAt(colon);
    if (framing === undefined || !nameIs(kept, framing)) return undefined;
    const name = framing === CONTENT_LENGTH ? 'content-length' : 'transfer-encoding';
    if (length > KEPT_LINE_BYTES) return `a ${name} line over ${KEPT_LINE_BYTES} bytes`;
    if (name === 'content-length') {
      if (++this.contentLengths > 1) return 'more than one Content-Length';
      return isOneNumber(kept, colon + 1, length) ? undefined : 'a Content-Length that is not one number';
    }
    if (++this.transferEncodings > 1) return 'more than one Transfer-Encoding';
    const codings = kept
      .toString('latin1', colon + 1, length)
      .toLowerCase()
      .split(',')
      .map((coding) => coding.trim());
    this.endsChunked = codings.at(-1) === 'chunked' && codings.indexOf('chunked') === codings.length - 1;
    return undefined;
  }

  private headEnd(): string | undefined {
    if (this.informational) {
      // An interim answer (102, 103): the real one follows, still within the same totals.
      this.newHead();
      return undefined;
    }
    this.inHead = false;
    if (this.transferEncodings > 0) {
      if (this.contentLengths > 0) return 'both Content-Length and Transfer-Encoding';
      if (!this.endsChunked) return 'a Transfer-Encoding that does not end in chunked';
      if (this.http10) return 'Transfer-Encoding in an HTTP/1.0 answer';
    }
    return undefined;
  }
}
