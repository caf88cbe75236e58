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

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;

/** The two framing headers, by the length of their names, so other lines cost no string. */
const FRAMING_NAMES: Readonly<Record<number, string>> = { 14: 'content-length', 17: 'transfer-encoding' };

/** What the head of one answer has said about its framing so far. */
interface Framing {
  http10: boolean;
  informational: boolean;
  contentLengths: number;
  transferEncodings: number;
  endsChunked: boolean;
}

const freshFraming = (): Framing => ({ http10: false, informational: false, contentLengths: 0, transferEncodings: 0, endsChunked: false });

/**
 * Reads the heads of the answers on one connection, line by line as bytes
 * arrive. Totals cover every head of one answer (1xx interim heads included),
 * so a stream of interim answers is bounded too.
 */
export class AnswerHeadScanner {
  private inHead = true;
  private statusSeen = false;
  private bytes = 0;
  private lines = 0;
  private framing = freshFraming();
  /** The start of a line that has not ended yet (at most MAX_HEAD_BYTES). */
  private partial: Buffer | undefined;

  /** A request went out: once the last answer's head is done, the next bytes start a new answer. */
  requestSent(): void {
    if (this.inHead) return;
    this.inHead = true;
    this.statusSeen = false;
    this.bytes = 0;
    this.lines = 0;
    this.framing = freshFraming();
  }

  /** Checks the next bytes from the middleware: a problem (never quoting the answer), or undefined. */
  scan(chunk: Buffer): string | undefined {
    if (!this.inHead) return undefined;
    const data = this.partial === undefined ? chunk : Buffer.concat([this.partial, chunk]);
    this.partial = undefined;
    let start = 0;
    while (this.inHead) {
      const end = data.indexOf(LF, start);
      if (end === -1) {
        if (this.bytes + data.length - start > MAX_HEAD_BYTES) return `a head over ${MAX_HEAD_BYTES} bytes`;
        if (start < data.length) this.partial = Buffer.from(data.subarray(start));
        return undefined;
      }
      this.bytes += end + 1 - start;
      if (this.bytes > MAX_HEAD_BYTES) return `a head over ${MAX_HEAD_BYTES} bytes`;
      // Readers differ on a bare LF (one ends the line there, another reads on), so none is taken.
      if (end === start || data[end - 1] !== CR) return 'a line ending in a bare LF';
      const problem = this.line(data, start, end - 1);
      if (problem !== undefined) return problem;
      start = end + 1;
    }
    return undefined;
  }

  /** One line, `data[start, stop)` without its CRLF. */
  private line(data: Buffer, start: number, stop: number): string | undefined {
    const cr = data.indexOf(CR, start);
    if (cr !== -1 && cr < stop) return 'a bare CR in the head';
    if (!this.statusSeen) return this.statusLine(data.toString('latin1', start, Math.min(stop, start + 12)));
    if (stop === start) return this.headEnd();
    if (++this.lines > MAX_HEADER_LINES) return `more than ${MAX_HEADER_LINES} header lines`;
    // A folded line continues the one before: two readers can disagree on what it belongs to.
    if (data[start] === SPACE || data[start] === TAB) return 'a folded header line';
    const colon = data.indexOf(COLON, start);
    const name = colon === -1 || colon >= stop ? undefined : FRAMING_NAMES[colon - start];
    if (name === undefined || data.toString('latin1', start, colon).toLowerCase() !== name) return undefined;
    return this.framingHeader(name, data.toString('latin1', colon + 1, stop).trim().toLowerCase());
  }

  private statusLine(opening: string): string | undefined {
    this.statusSeen = true;
    const match = /^HTTP\/(\d\.\d) (\d)\d\d$/.exec(opening);
    // Not HTTP at all: the parser refuses it with its own words.
    if (!match) return undefined;
    this.framing.http10 = match[1] === '1.0';
    this.framing.informational = match[2] === '1';
    return undefined;
  }

  private framingHeader(name: string, value: string): string | undefined {
    const framing = this.framing;
    if (name === 'content-length') {
      if (++framing.contentLengths > 1) return 'more than one Content-Length';
      return /^\d{1,15}$/.test(value) ? undefined : 'a Content-Length that is not one number';
    }
    if (++framing.transferEncodings > 1) return 'more than one Transfer-Encoding';
    const codings = value.split(',').map((coding) => coding.trim());
    framing.endsChunked = codings.at(-1) === 'chunked' && codings.indexOf('chunked') === codings.length - 1;
    return undefined;
  }

  private headEnd(): string | undefined {
    const framing = this.framing;
    if (framing.informational) {
      // An interim answer (102, 103): the real one follows, still within the same totals.
      this.statusSeen = false;
      this.framing = freshFraming();
      return undefined;
    }
    this.inHead = false;
    if (framing.transferEncodings > 0) {
      if (framing.contentLengths > 0) return 'both Content-Length and Transfer-Encoding';
      if (!framing.endsChunked) return 'a Transfer-Encoding that does not end in chunked';
      if (framing.http10) return 'Transfer-Encoding in an HTTP/1.0 answer';
    }
    return undefined;
  }
}
