import { WebSocket } from 'undici';

/** What the bridge process reports about itself, read through its inspector. */
export interface ProcessSample {
  readonly rssBytes: number;
  /** Live heap: measured right after a full garbage collection, so that garbage not yet collected does not look like a leak. */
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  /** Event-loop delay since the previous sample, in ms. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

/**
 * Evaluated in the bridge's main context. The delay histogram is created by
 * the first sample and read and reset by each later one: libuv measures it
 * with its own timer, nothing runs on a decision's path.
 */
const SAMPLE_EXPRESSION = `(() => {
  const holder = globalThis;
  if (!holder.__soakLoopDelay) {
    holder.__soakLoopDelay = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 });
    holder.__soakLoopDelay.enable();
  }
  const delay = holder.__soakLoopDelay;
  const memory = process.memoryUsage();
  const sample = { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal,
    loopDelayP99Ms: delay.count ? delay.percentile(99) / 1e6 : 0, loopDelayMaxMs: delay.count ? delay.max / 1e6 : 0 };
  delay.reset();
  return sample;
})()`;

/**
 * A DevTools-protocol session with a process started with `--inspect`: heap
 * and event-loop delay without a line of code for it in the bridge.
 */
export async function connectInspector(url: string): Promise<{ sample(): Promise<ProcessSample>; close(): void }> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)), { once: true });
  });
  let nextId = 1;
  type Reply = { id?: number; result?: { result?: { value?: unknown }; exceptionDetails?: { text?: string } } };
  const waiting = new Map<number, (message: Reply) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as Reply;
    if (message.id === undefined) return;
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Reply>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    sample: async () => {
      await call('HeapProfiler.collectGarbage');
      const { result } = await call('Runtime.evaluate', {
        expression: SAMPLE_EXPRESSION,
        includeCommandLineAPI: true,
        returnByValue: true,
      });
      const value = result?.result?.value as ProcessSample | undefined;
      if (value === undefined)
        throw new Error(`inspector evaluation failed: ${result?.exceptionDetails?.text ?? 'no value'}`);
      return value;
    },
    close: () => socket.close(),
  };
}
