import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import type { SessionRow } from '../sessions/types.js';
import type { StatsDatabase, WriterState } from './types.js';

export interface StatsWriterOptions {
  readonly database: StatsDatabase;
  /** Rows that may wait for the database (`stats.queue`). */
  readonly queueLimit: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often queued rows are written. */
  readonly flushEveryMs?: number;
  /** Rows per transaction. */
  readonly batchRows?: number;
  /** Text that must not reach the log (the database password). */
  readonly mask?: (text: string) => string;
}

/** Resolves `ms` from now on `clock`, for a stop that must wait no longer; `cancel` lets go of the timer sooner. */
export function deadline(clock: Clock, ms: number): { readonly reached: Promise<void>; cancel(): void } {
  let cancel = () => {};
  const reached = new Promise<void>((resolve) => {
    cancel = clock.every(ms, () => {
      cancel();
      resolve();
    });
  });
  return { reached, cancel: () => cancel() };
}

/**
 * Takes session rows from the decision path and writes them in batches, off
 * it. Rows wait in a bounded queue keyed by session, so a session that
 * changes while the database is away takes one place, holding its latest
 * state. Past the limit a new session's row is dropped and counted. An
 * outage is logged when it starts and when it ends, never per batch.
 */
export class StatsWriter {
  private readonly queue = new Map<string, SessionRow>();
  private dropped = 0;
  private droppedThisOutage = 0;
  private failing = false;
  private lastError: string | undefined;
  private writing: Promise<void> | undefined;
  private readonly stop: () => void;

  constructor(private readonly options: StatsWriterOptions) {
    this.stop = options.clock.every(options.flushEveryMs ?? 1000, () => void this.flush());
  }

  /** The tracker's sink: must only record and return. */
  enqueue(row: SessionRow): void {
    const queue = this.queue;
    if (queue.size >= this.options.queueLimit && !queue.has(row.id)) {
      this.dropped++;
      if (this.droppedThisOutage++ === 0) {
        this.options.log.warn('statistics queue full: session rows are dropped until the database catches up', {
          queue: this.options.queueLimit,
          database: this.options.database.kind,
        });
      }
      return;
    }
    // Re-inserted at the back: a row waits behind the rows queued before its latest change.
    queue.delete(row.id);
    queue.set(row.id, row);
  }

  /**
   * A live session's last progress at a stop: queued whatever the queue holds. It is in memory already (live
   * sessions are bounded by `stats.maxLiveSessions`), and the stop writes it within its 2 s or drops it with a
   * warning of its own; the bound is for rows that would wait on a database that is away.
   */
  enqueueAtStop(row: SessionRow): void {
    this.queue.delete(row.id);
    this.queue.set(row.id, row);
  }

  droppedRows(): number {
    return this.dropped;
  }

  state(): WriterState {
    return { ok: !this.failing, queued: this.queue.size, droppedRows: this.dropped, lastError: this.lastError };
  }

  /** Writes what is queued now, one batch per transaction; resolves (never rejects) when done or failed. */
  flush(): Promise<void> {
    this.writing ??= this.writeQueued().finally(() => (this.writing = undefined));
    return this.writing;
  }

  /**
   * Stops the timer and writes what is queued, waiting no longer than until `giveUp` resolves: a database
   * that hangs must not hold a stopping bridge. One try: the rows still queued then (the database is down,
   * hung or too slow; a batch still waiting on it may yet commit) are counted as dropped and named in one log
   * line.
   */
  async close(giveUp: Promise<void>): Promise<void> {
    this.stop();
    const written = (async () => {
      await this.writing;
      await this.flush();
    })();
    await Promise.race([written, giveUp]);
    const unwritten = this.queue.size;
    if (unwritten === 0) return;
    this.queue.clear();
    this.dropped += unwritten;
    this.options.log.warn('statistics stopped with session rows not written: they are dropped', {
      database: this.options.database.kind,
      rows: unwritten,
      droppedRows: this.dropped,
    });
  }

  private async writeQueued(): Promise<void> {
    const batchRows = this.options.batchRows ?? 1000;
    while (this.queue.size > 0) {
      const batch: SessionRow[] = [];
      for (const row of this.queue.values()) {
        batch.push(row);
        if (batch.length === batchRows) break;
      }
      try {
        await this.options.database.write(batch);
      } catch (error) {
        this.noteFailure(error);
        return;
      }
      // A row that changed while its batch was written stays for the next one.
      for (const row of batch) if (this.queue.get(row.id) === row) this.queue.delete(row.id);
      this.noteSuccess();
    }
  }

  private noteFailure(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.lastError = this.options.mask ? this.options.mask(message) : message;
    if (this.failing) return;
    this.failing = true;
    this.options.log.warn('statistics database unavailable: session rows wait in memory; decisions are not affected', {
      database: this.options.database.kind,
      error: this.lastError,
      queued: this.queue.size,
    });
  }

  private noteSuccess(): void {
    if (!this.failing && this.droppedThisOutage === 0) return;
    if (this.failing)
      this.options.log.info('statistics database back: queued session rows are being written', {
        database: this.options.database.kind,
        queued: this.queue.size,
        dropped: this.droppedThisOutage,
      });
    this.failing = false;
    this.lastError = undefined;
    if (this.queue.size < this.options.queueLimit) this.droppedThisOutage = 0;
  }
}
