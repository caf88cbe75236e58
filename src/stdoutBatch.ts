import { Writable } from 'node:stream';

/** Where the batch goes: process.stdout, or a stand-in under test. */
export interface LineSink {
  write(text: string): unknown;
  /** Bytes written but not yet taken by the reader. */
  readonly writableLength: number;
}

/**
 * How much written output may wait for a reader that does not read (a stalled journald or log
 * shipper, `serve | sleep`): about 60,000 decision lines. Past it lines are dropped and counted, not
 * held: held, they grew the heap by 400 B a check until the process ran out of memory.
 */
export const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

/**
 * stdout, with the lines of one event-loop turn written together: decisions
 * come thousands per second, and a write call per line would cost more than
 * deciding. Nothing waits longer than the current turn.
 */
export class BatchedStdout {
  private pending: string[] = [];
  private droppedSince = 0;
  private droppedTotal = 0;
  /** Told how many lines were dropped once the reader takes output again, to log it. */
  onResumed: ((dropped: number) => void) | undefined;

  constructor(private readonly sink: LineSink = process.stdout) {
    // Lines of the last turn still go out when the process exits (files and pipes are written synchronously then).
    process.on('exit', () => this.flush());
  }

  line(text: string): void {
    this.pieces().push(text);
  }

  /**
   * Where the pieces of the next line go, in order, its end included. They are joined with the
   * rest of the turn's lines only: a decision line is never a string of its own, whose pieces
   * would each be one more string to allocate (about a kilobyte per line) and to flatten.
   */
  pieces(): string[] {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    return this.pending;
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

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    if (this.sink.writableLength > MAX_UNREAD_BYTES) {
      const lines = countLines(text);
      this.droppedSince += lines;
      this.droppedTotal += lines;
      return;
    }
    this.sink.write(text);
    if (this.droppedSince > 0) {
      const dropped = this.droppedSince;
      this.droppedSince = 0;
      this.onResumed?.(dropped);
    }
  }
}

function countLines(text: string): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
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
