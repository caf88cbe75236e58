import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { PACKAGE_ROOT } from '../packageRoot.js';

/*
 * Work that would hold the event loop (parsing a large users file, summing a day of statistics, writing
 * SQLite's batches) runs in a worker thread that loads one of our own modules. The module names its
 * thread (`serveInThread`) and says where it is (its own module URL): in dist/ that is the bundle chunk
 * holding it, which the thread imports like any module. Under tsx and vitest the sources are TypeScript,
 * which a bare worker cannot load: the module is then bundled into JavaScript once per process (esbuild,
 * a devDependency that dist/ never needs), which the thread loads in a few milliseconds, where compiling
 * its sources with tsx in the thread took 5-15 s of a loaded machine.
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

/** TypeScript modules bundled for their threads in this process: source URL → the bundle's URL. */
const bundled = new Map<string, string>();

/**
 * `source` (a TypeScript module) bundled into the JavaScript module `outfile` for plain node, its packages
 * left external: under node_modules/, they resolve from there. Also how the tests build a module for a child
 * process (test/support/built.ts).
 */
export function bundleForNode(source: string, outfile: string): void {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  esbuild.buildSync({
    entryPoints: [source],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}

/** A URL a worker can import for `moduleUrl`: itself when it is JavaScript (dist/), else its bundle. */
function runnable(moduleUrl: string): string {
  if (!moduleUrl.endsWith('.ts')) return moduleUrl;
  let url = bundled.get(moduleUrl);
  if (url === undefined) {
    const source = fileURLToPath(moduleUrl);
    const cache = join(PACKAGE_ROOT, 'node_modules', '.cache', 'bridge-thread-modules', String(process.pid));
    const outfile = join(cache, relative(PACKAGE_ROOT, source).replace(/\.ts$/, '.mjs'));
    bundleForNode(source, outfile);
    url = pathToFileURL(outfile).href;
    bundled.set(moduleUrl, url);
  }
  return url;
}

/**
 * Answers `request`, at once or once a promise settles (a database query, say); `part` sends a piece of
 * the answer ahead (the main thread takes each as it comes).
 */
export type ThreadHandler<Request, Answer, Part> = (
  request: Request,
  part: (piece: Part) => void,
) => Answer | Promise<Answer>;

/** A handler, and how to let go of what it opened (a database file or connection) when the thread is closed. */
export interface ThreadService<Request, Answer, Part> {
  readonly handle: ThreadHandler<Request, Answer, Part>;
  /** Once the requests made before the close are answered; the thread ends once nothing else holds it. */
  readonly stop?: () => void | Promise<void>;
}

interface Posted {
  readonly id: number;
  readonly part?: unknown;
  readonly result?: unknown;
  readonly error?: string;
  readonly done?: true;
  /** The thread could not start: the main thread ends it, and the next request starts a new one. */
  readonly ending?: true;
}

/**
 * Serves requests in the thread named `name`, when this module was loaded by it; does nothing anywhere
 * else (the main thread, or a thread of another name that happens to load this module too).
 */
export function serveInThread<Request, Answer, Part = never>(
  name: string,
  start: (data: unknown) => ThreadHandler<Request, Answer, Part> | ThreadService<Request, Answer, Part>,
): void {
  const given = workerData as ThreadData | undefined;
  if (isMainThread || !parentPort || given?.thread !== name) return;
  const port = parentPort;
  const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
  let handle: ThreadHandler<Request, Answer, Part> | undefined;
  let stop: ThreadService<Request, Answer, Part>['stop'];
  // A thread that cannot start (its file cannot be opened, say) tells the first request why, and ends:
  // the next request starts a new one.
  let unstarted: string | undefined;
  try {
    const started = start(given.data);
    if (typeof started === 'function') handle = started;
    else ({ handle, stop } = started);
  } catch (error) {
    unstarted = reason(error);
  }
  /** Answers not posted yet: a close waits for them. */
  const answering = new Set<Promise<unknown>>();
  port.on('message', ({ id, request, close }: { id: number; request: Request; close?: true }) => {
    if (close) {
      void Promise.allSettled(answering)
        .then(() => stop?.())
        .catch(() => undefined)
        .then(() => {
          port.postMessage({ id, done: true } satisfies Posted);
          port.close();
        });
      return;
    }
    if (!handle) {
      // The main thread ends this thread once it has the answer: closing the port here could lose it.
      port.postMessage({ id, error: unstarted, done: true, ending: true } satisfies Posted);
      return;
    }
    const answered = (async () => handle!(request, (part) => port.postMessage({ id, part } satisfies Posted)))().then(
      (result) => port.postMessage({ id, result, done: true } satisfies Posted),
      (error: unknown) => port.postMessage({ id, error: reason(error), done: true } satisfies Posted),
    );
    answering.add(answered);
    void answered.finally(() => answering.delete(answered));
  });
}

interface Waiting {
  /** The worker asked: one that ends rejects only its own requests, not those of the one started after it. */
  readonly worker: Worker;
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
  /** Closing: the worker stays referenced until it has exited. */
  private closing = false;

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
        worker,
        onPart: onPart as (part: unknown) => void,
        resolve: resolve as (r: unknown) => void,
        reject,
      });
      worker.ref();
      worker.postMessage({ id, request });
    });
  }

  /**
   * Ends the thread once the requests already made are answered, and once it let go of what it opened
   * (`stop` of serveInThread); until then the thread holds the process, so that a stopping process
   * waits for its file to be let go.
   */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    this.closing = true;
    worker.ref();
    worker.postMessage({ id: this.nextId++, close: true });
    await exited;
  }

  private start(): Worker {
    const data: ThreadData = { thread: this.name, module: runnable(this.moduleUrl), data: this.data };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data });
    worker.unref();
    let failure = new Error(`the ${this.name} thread stopped`);
    worker.on('message', ({ id, part, result, error, done, ending }: Posted) => {
      const waiting = this.waiting.get(id);
      if (!done) return waiting?.onPart(part);
      this.waiting.delete(id);
      if (!this.closing && ![...this.waiting.values()].some((other) => other.worker === worker)) worker.unref();
      if (error !== undefined) failure = new Error(error);
      if (ending) {
        if (this.worker === worker) this.worker = undefined;
        void worker.terminate();
      }
      if (error === undefined) waiting?.resolve(result);
      else waiting?.reject(failure);
    });
    worker.on('error', (error) => (failure = error));
    worker.on('exit', () => {
      if (this.worker === worker) {
        this.worker = undefined;
        this.closing = false;
      }
      for (const [id, waiting] of this.waiting) {
        if (waiting.worker !== worker) continue;
        this.waiting.delete(id);
        waiting.reject(failure);
      }
    });
    return worker;
  }
}
