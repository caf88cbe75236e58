import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SessionRow } from '../sessions/types.js';
import { COLUMNS_PER_ROW, deleteSliceSql, flatValues, upsertSql } from './sql.js';

/**
 * The thread's code, plain JavaScript run with `eval`: a worker file would
 * have to be JavaScript on disk, which the TypeScript sources (tests, bench)
 * are not, and tsx's loader does not reach worker threads. Without `require`
 * or `import`, it runs as a script or a module alike (`--input-type` decides
 * which). It only runs statements it is handed: the SQL stays in sql.ts.
 *
 * Why a thread at all: a batch of 1,000 upserted rows costs SQLite 10-12 ms
 * of CPU here (three B-trees per row; about the same with 1-, 50- and 500-row
 * statements), and a WAL checkpoint inside a commit waits on the disk. On the
 * event loop each batch held every check in flight that long.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const Database = process.getBuiltinModule('node:module').createRequire(workerData.driver)(workerData.driver);
// Opened in the try below: a file that cannot be opened fails the first request with SQLite's message, and the
// thread ends, so that the next request starts a new one.
let db;
let upsert;
let deleteSlice;
let unopened;
try {
  db = new Database(workerData.path, { fileMustExist: true });
  // As on the bridge's own connection: a locked file fails the batch at once, which waits in the writer's queue.
  db.pragma('busy_timeout = 0');
  db.pragma('synchronous = NORMAL');
  upsert = db.prepare(workerData.upsertSql);
  deleteSlice = db.prepare(workerData.deleteSliceSql);
} catch (error) {
  unopened = error instanceof Error ? error.message : String(error);
}
const columns = workerData.columns;
function writeAll(values) {
  db.transaction(() => {
    for (let at = 0; at < values.length; at += columns) upsert.run(values.slice(at, at + columns));
  })();
}
function deleteBefore(before) {
  let deleted = 0;
  for (let changes = -1; changes !== 0; deleted += changes) changes = deleteSlice.run(before).changes;
  return deleted;
}
parentPort.on('message', ({ id, op, values, before }) => {
  if (unopened !== undefined) {
    parentPort.postMessage({ id, error: unopened, ending: true });
    parentPort.close();
    return;
  }
  try {
    if (op === 'write') writeAll(values);
    const result = op === 'deleteBefore' ? deleteBefore(before) : undefined;
    if (op === 'close') db.close();
    parentPort.postMessage({ id, result });
    if (op === 'close') parentPort.close();
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

type Request =
  | { readonly op: 'write'; readonly values: unknown[] }
  | { readonly op: 'deleteBefore'; readonly before: number }
  | { readonly op: 'close' };

interface Answer {
  readonly id: number;
  readonly result?: number;
  readonly error?: string;
  /** The thread ends after this answer: later requests go to a new one. */
  readonly ending?: boolean;
}

interface Waiting {
  resolve(result: number | undefined): void;
  reject(error: Error): void;
}

/** One worker and the requests it has not answered yet. */
interface Thread {
  readonly worker: Worker;
  readonly waiting: Map<number, Waiting>;
  /** Held referenced until it has exited: a process that stops waits for its file to be let go. */
  closing: boolean;
}

/**
 * The statistics file's writing connection, in a worker thread of its own:
 * upserts and retention deletes run there, so no SQLite write ever holds the
 * event loop. Each request resolves once its transaction committed (a crash
 * loses nothing it resolved for) and rejects with SQLite's own message. A
 * thread that died (it could not open the file, or ran out of memory) is
 * started afresh by the next request; the thread never keeps the process
 * alive while nothing waits on it.
 */
export class SqliteWriterThread {
  private thread: Thread | undefined;
  private nextId = 0;

  constructor(private readonly path: string) {}

  /** Inserts or updates the rows in one transaction. */
  async write(rows: readonly SessionRow[]): Promise<void> {
    await this.ask({ op: 'write', values: flatValues(rows) });
  }

  /** Deletes the sessions that ended before `before`, a slice per statement; resolves with how many. */
  async deleteBefore(before: number): Promise<number> {
    return (await this.ask({ op: 'deleteBefore', before })) ?? 0;
  }

  /** Lets go of the file once the requests already made are done. */
  async close(): Promise<void> {
    const thread = this.thread;
    if (!thread) return;
    const exited = new Promise((resolve) => thread.worker.once('exit', resolve));
    thread.closing = true;
    await this.ask({ op: 'close' }).catch(() => undefined);
    await exited;
  }

  private ask(request: Request): Promise<number | undefined> {
    this.thread ??= this.start();
    const { worker, waiting } = this.thread;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, ...request });
    });
  }

  private start(): Thread {
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        path: this.path,
        upsertSql: upsertSql(1, () => '?'),
        deleteSliceSql: deleteSliceSql(() => '?'),
        columns: COLUMNS_PER_ROW,
      },
    });
    worker.unref();
    const thread: Thread = { worker, waiting: new Map(), closing: false };
    const retire = () => {
      if (this.thread === thread) this.thread = undefined;
    };
    let failure = new Error('the statistics writer thread stopped');
    worker.on('message', ({ id, result, error, ending }: Answer) => {
      if (ending) retire();
      const waiting = thread.waiting.get(id);
      thread.waiting.delete(id);
      if (thread.waiting.size === 0 && !thread.closing) worker.unref();
      if (error === undefined) return waiting?.resolve(result);
      // Also what the requests still waiting are told if the thread ends now.
      failure = new Error(error);
      waiting?.reject(failure);
    });
    worker.on('error', (error) => (failure = error));
    worker.on('exit', () => {
      retire();
      for (const waiting of thread.waiting.values()) waiting.reject(failure);
      thread.waiting.clear();
    });
    return thread;
  }
}
