import { Writable } from 'node:stream';

/** Where the batch goes: process.stdout, or a stand-in under test. */
export interface LineSink {
  write(bytes: Uint8Array | string): unknown;
  /** Bytes written but not yet taken by the reader. */
  readonly writableLength: number;
}

/**
 * How much written output may wait for a reader that does not read (a stalled journald or log
 * shipper, `serve | sleep`): about 60,000 decision lines. Past it lines are dropped and counted, not
 * held: held, they grew the heap by 400 B a check until the process ran out of memory.
 */
export const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

/** Bytes of one batch: a turn's lines, unless they are more (then it is written and started again). */
const BATCH_BYTES = 65_536;

/** Printable ASCII but `"` and `\\`: what JSON writes as it is between quotes. */
const JSON_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Whether JSON writes `text` as it is between quotes (one test, not a walk of its characters). */
export function isJsonPlain(text: string): boolean {
  return JSON_PLAIN.test(text);
}

/**
 * stdout, with the lines of one event-loop turn written together: decisions
 * come thousands per second, and a write call per line would cost more than
 * deciding. Nothing waits longer than the current turn. The lines are
 * written into one buffer as bytes, so that a decision line is no string at
 * all: its pieces in an array, joined, were a kilobyte of garbage per line.
 */
export class BatchedStdout {
  private bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private at = 0;
  private scheduled = false;
  private droppedSince = 0;
  private droppedTotal = 0;
  /** Told how many lines were dropped once the reader takes output again, to log it. */
  onResumed: ((dropped: number) => void) | undefined;

  constructor(private readonly sink: LineSink = process.stdout) {
    // Lines of the last turn still go out when the process exits (files and pipes are written synchronously then).
    process.on('exit', () => this.flush());
  }

  /** A whole line (its end included), as UTF-8. */
  line(text: string): void {
    // At most three bytes per UTF-16 unit; a line longer than a batch goes out alone, after what came before it.
    if (text.length * 3 > BATCH_BYTES) {
      this.flush();
      this.send(text, text.endsWith('\n') ? 1 : 0);
      return;
    }
    this.room(text.length * 3);
    this.at += this.bytes.write(text, this.at, 'utf8');
  }

  /** Short ASCII text the caller vouches for (a line's constant pieces, a number), one byte per character. */
  ascii(text: string): void {
    this.room(text.length);
    this.at += this.bytes.write(text, this.at, 'latin1');
  }

  /** A whole number from 0 to 10^15, in decimal digits, with no string made for it. */
  digits(whole: number): void {
    let length = 1;
    for (let left = whole; left >= 10; left = Math.floor(left / 10)) length++;
    this.room(length);
    const { bytes } = this;
    let at = this.at + length;
    this.at = at;
    let left = whole;
    do {
      bytes[--at] = 0x30 + (left % 10);
      left = Math.floor(left / 10);
    } while (left > 0);
  }

  /**
   * Bytes made once and written again and again (a line's constant pieces): one copy, where a
   * character-by-character walk of the same text cost three times as much. Short: a few hundred
   * bytes at most, never more than a batch.
   */
  chunk(piece: Uint8Array): void {
    this.room(piece.length);
    this.bytes.set(piece, this.at);
    this.at += piece.length;
  }

  /**
   * `text` between quotes, if JSON writes it as it is (isJsonPlain); false, with nothing written,
   * if not: checked by one test of the whole value, then copied by Buffer.write.
   */
  quotedPlain(text: string): boolean {
    if (text.length + 2 > BATCH_BYTES) return false;
    if (!isJsonPlain(text)) return false;
    this.room(text.length + 2);
    const { bytes } = this;
    let at = this.at;
    bytes[at++] = 0x22;
    at += bytes.write(text, at, 'latin1');
    bytes[at++] = 0x22;
    this.at = at;
    return true;
  }

  /** Lines dropped since start because stdout was not read. */
  dropped(): number {
    return this.droppedTotal;
  }

  /** The same output as a stream, for winston. */
  stream(): Writable {
    return new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        this.line(chunk.toString());
        done();
      },
      final: (done) => {
        this.flush();
        done();
      },
    });
  }

  /** Makes room for `length` more bytes (at most a batch): the first bytes of a turn schedule its write. */
  private room(length: number): void {
    if (this.at + length > BATCH_BYTES) this.flush();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.at === 0) return;
    const filled = this.bytes.subarray(0, this.at);
    this.at = 0;
    if (this.send(filled, countLines(filled)) && this.sink.writableLength > 0) {
      // Not written at once (stdout is synchronous on Linux while its reader keeps up): the stream keeps the buffer.
      this.bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
    }
  }

  /** Writes `output` of `lines` lines, or drops and counts them while too much waits unread; true if written. */
  private send(output: Uint8Array | string, lines: number): boolean {
    if (this.sink.writableLength > MAX_UNREAD_BYTES) {
      this.droppedSince += lines;
      this.droppedTotal += lines;
      return false;
    }
    this.sink.write(output);
    if (this.droppedSince > 0) {
      const dropped = this.droppedSince;
      this.droppedSince = 0;
      this.onResumed?.(dropped);
    }
    return true;
  }
}

function countLines(bytes: Uint8Array): number {
  let lines = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) lines++;
  return lines;
}

let stdoutBatch: BatchedStdout | undefined;

/**
 * The process's one batch: every logger writes to the same stdout, so their lines keep one order, and
 * a reload (or a test) that builds another logger adds no exit listener of its own.
 */
export function sharedStdout(): BatchedStdout {
  stdoutBatch ??= new BatchedStdout();
  return stdoutBatch;
}
