import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { threadModuleUrl } from './sourceBundle.js';

/*
 * Work that would hold the event loop (parsing a large users file, summing a day of statistics) runs in a
 * worker thread that loads one of our own modules. The module names its thread (`serveInThread`) and says
 * where it is (its own module URL): in dist/ that is the bundle chunk holding it, which the thread imports
 * like any module. Under tsx and vitest the sources are TypeScript, which a bare worker cannot load: the
 * thread imports the module bundled on its own (sourceBundle.ts).
 */

/** Started with `eval`: it runs as a script or a module alike, so it uses neither `require` nor `import`. */
const BOOTSTRAP = `
const { workerData } = process.getBuiltinModule('node:worker_threads');
import(workerData.module);
`;

/** What a module's thread is handed: its name and the data the main thread gave it. */
interface ThreadData {
  readonly thread: string;
  readonly module: string;
  readonly data: unknown;
}

/** Answers `request`; `part` sends a piece of the answer ahead (the main thread takes each as it comes). */
export type ThreadHandler<Request, Answer, Part> = (request: Request, part: (piece: Part) => void) => Answer;

interface Posted {
  readonly id: number;
  readonly part?: unknown;
  readonly result?: unknown;
  readonly error?: string;
  readonly done?: true;
}

/**
 * Serves requests in the thread named `name`, when this module was loaded by it; does nothing anywhere
 * else (the main thread, or a thread of another name that happens to load this module too).
 */
export function serveInThread<Request, Answer, Part = never>(
  name: string,
  start: (data: unknown) => ThreadHandler<Request, Answer, Part>,
): void {
  const given = workerData as ThreadData | undefined;
  if (isMainThread || !parentPort || given?.thread !== name) return;
  const port = parentPort;
  const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
  let handle: ThreadHandler<Request, Answer, Part> | undefined;
  // A thread that cannot start (its file cannot be opened, say) tells the first request why, and ends:
  // the next request starts a new one.
  let unstarted: string | undefined;
  try {
    handle = start(given.data);
  } catch (error) {
    unstarted = reason(error);
  }
  port.on('message', ({ id, request }: { id: number; request: Request }) => {
    if (!handle) {
      port.postMessage({ id, error: unstarted, done: true } satisfies Posted);
      port.close();
      return;
    }
    try {
      const result = handle(request, (part) => port.postMessage({ id, part } satisfies Posted));
      port.postMessage({ id, result, done: true } satisfies Posted);
    } catch (error) {
      port.postMessage({ id, error: reason(error), done: true } satisfies Posted);
    }
  });
}

interface Waiting {
  readonly onPart: (part: unknown) => void;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/**
 * The main thread's side: one worker, started on the first request and started afresh by the next
 * one after it died; it never keeps the process alive while nothing waits on it. A request rejects
 * with the thread's error message, or when the thread dies before answering.
 */
export class ModuleThread<Request, Answer, Part = never> {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;

  /** @param moduleUrl the URL of the module that calls `serveInThread(name, ...)`, as it sees its own. */
  constructor(
    private readonly name: string,
    private readonly moduleUrl: string,
    private readonly data: unknown = undefined,
  ) {}

  ask(request: Request, onPart: (part: Part) => void = () => {}): Promise<Answer> {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.set(id, {
        onPart: onPart as (part: unknown) => void,
        resolve: resolve as (r: unknown) => void,
        reject,
      });
      worker.ref();
      worker.postMessage({ id, request });
    });
  }

  /** Ends the thread; requests still waiting reject. */
  async close(): Promise<void> {
    await this.worker?.terminate();
  }

  private start(): Worker {
    const data: ThreadData = {
      thread: this.name,
      module: threadModuleUrl(this.moduleUrl),
      data: this.data,
    };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data });
    worker.unref();
    let failure = new Error(`the ${this.name} thread stopped`);
    worker.on('message', ({ id, part, result, error, done }: Posted) => {
      const waiting = this.waiting.get(id);
      if (!done) return waiting?.onPart(part);
      this.waiting.delete(id);
      if (this.waiting.size === 0) worker.unref();
      if (error === undefined) waiting?.resolve(result);
      else waiting?.reject(new Error(error));
    });
    worker.on('error', (error) => (failure = error));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.waiting.values()) waiting.reject(failure);
      this.waiting.clear();
    });
    return worker;
  }
}
