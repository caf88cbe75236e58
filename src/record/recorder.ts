import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ExchangeObserver, MiddlewareAnswer, OutboundRequest, TransportError } from '../adapters/transport.js';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { outcomeLabel, recordedExchange } from './exchangeRecord.js';
import { diskFiles, writeWholeFile, type RecordFiles } from './wholeFile.js';

export interface Recorder {
  /** Hand to `createBridge`: queues the exchange and returns at once; never throws. */
  readonly observe: ExchangeObserver;
  /** Resolves once every queued exchange is written (or given up on). */
  flush(): Promise<void>;
}

export interface RecorderOptions {
  /** Exchanges waiting to be written; past this, new ones are dropped (and that is logged once). */
  readonly maxPending?: number;
  /** Clear values to mask wherever they appear (the values of secret environment variables). */
  readonly knownSecrets?: readonly string[];
  /**
   * Names this writer in every file name when several write into one folder at once (a worker
   * of `serve --workers N`: `w2`), so two files of one millisecond never take the same name.
   */
  readonly writer?: string;
  readonly clock?: Clock;
  /** Default: the disk. */
  readonly files?: RecordFiles;
}

/** Distinct exchanges remembered to write each only once; the oldest are forgotten first. */
const MAX_REMEMBERED = 100_000;

interface Pending {
  readonly outbound: OutboundRequest;
  readonly outcome: MiddlewareAnswer | TransportError;
  readonly at: Date;
}

/** The folder `serve --record` writes to could not be created or is not writable. */
export class RecordFolderError extends Error {
  override name = 'RecordFolderError';
}

/** Creates `dir` and its missing parents one by one: Node 20's recursive mkdir never returns under /proc. */
function makeFolder(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at);
  for (const folder of missing) mkdirSync(folder);
}

function prepareFolder(dir: string): void {
  try {
    makeFolder(dir);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK);
    // Permission bits are not the whole story (/proc, read-only mounts): write a file to be sure.
    const probe = join(dir, `.record-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    throw new RecordFolderError(
      `cannot record to ${dir} (--record): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * `2025-03-01T20-15-00.123Z-000042-200.json` (`...-000042-w2-200.json` from worker 2): sorts by
 * time, unique within a run, the outcome at a glance.
 */
function fileName(at: Date, sequence: number, writer: string | undefined, label: string): string {
  const by = writer === undefined ? '' : `${writer}-`;
  return `${at.toISOString().replace(/:/g, '-')}-${String(sequence).padStart(6, '0')}-${by}${label}.json`;
}

/**
 * Writes every middleware exchange into `dir` as a fixture file (see
 * recordedExchange for the masking). Recording is best effort by design: the
 * decision path only pushes onto a bounded queue, and writing happens later,
 * one file at a time, each whole or not at all, with failures logged once per kind.
 */
export function createRecorder(dir: string, log: Logger, options: RecorderOptions = {}): Recorder {
  const maxPending = options.maxPending ?? 1000;
  const clock = options.clock ?? systemClock;
  prepareFolder(dir);
  const pending: Pending[] = [];
  const written = new Set<string>();
  const reported = new Set<string>();
  let sequence = 0;
  let draining: Promise<void> | undefined;

  const reportOnce = (kind: string, message: string, fields: Record<string, unknown>) => {
    if (reported.has(kind)) return;
    reported.add(kind);
    log.warn(message, { dir, ...fields });
  };

  const remember = (key: string): boolean => {
    if (written.has(key)) return false;
    written.add(key);
    if (written.size > MAX_REMEMBERED) written.delete(written.values().next().value!);
    return true;
  };

  const writeOne = async ({ outbound, outcome, at }: Pending): Promise<void> => {
    const exchange = recordedExchange(outbound, outcome, options.knownSecrets);
    if (!exchange) return;
    // Identical request and answer: an operator recording prime time wants each case once.
    if (!remember(createHash('sha256').update(JSON.stringify(exchange)).digest('hex'))) return;
    sequence += 1;
    const file = fileName(at, sequence, options.writer, outcomeLabel(outcome));
    const document = {
      source: 'recorded from a live middleware by serve --record',
      description: `Recorded by serve --record at ${at.toISOString()}.`,
      ...exchange,
    };
    try {
      await writeWholeFile(dir, file, `${JSON.stringify(document, null, 2)}\n`, options.files ?? diskFiles);
      log.debug('recorded middleware exchange', { file });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      reportOnce(`write:${code}`, 'cannot write a recorded exchange; recording goes on, decisions are not affected', {
        error: code,
      });
    }
  };

  const drain = async (): Promise<void> => {
    for (let next = pending.shift(); next; next = pending.shift()) {
      try {
        await writeOne(next);
      } catch (error) {
        reportOnce('record', 'cannot record an exchange', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    draining = undefined;
  };

  const observe: ExchangeObserver = (outbound, outcome) => {
    try {
      if (pending.length >= maxPending) {
        reportOnce('queue', 'recording falls behind: exchanges dropped while the queue is full', { maxPending });
        return;
      }
      pending.push({ outbound, outcome, at: new Date(clock.now()) });
      // Later, not now: this runs inside a viewer's decision.
      draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(drain);
    } catch {
      // Recording must never break a decision.
    }
  };

  return { observe, flush: async () => await draining };
}
