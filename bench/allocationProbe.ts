/**
 * Loaded into a measured server (`node --expose-gc --import tsx --import bench/allocationProbe.ts ...`,
 * spawned with an IPC channel by bench/allocations.ts): answers the meter's messages about its own heap.
 * `mark`: the heap in use now, then after a full collection, and how many collections ran since the
 * last mark (a window in which one ran cannot be read as allocated bytes). `sample`/`sampled`: a
 * sampling heap profile of the window between them, summed by component (allocationComponents.ts).
 */
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { componentsOf, type ProfileNode } from './allocationComponents.js';

const collect = globalThis.gc;
if (collect === undefined) throw new Error('the allocation probe needs node --expose-gc');

/** Collections that started in the current window (the one a mark asks for is before it). */
let windowStart = Number.POSITIVE_INFINITY;
let collections = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.startTime >= windowStart) collections++;
}).observe({ entryTypes: ['gc'] });

const session = new Session();
session.connect();

async function answer(message: { readonly kind: string; readonly intervalBytes?: number }): Promise<unknown> {
  if (message.kind === 'mark') {
    const used = process.memoryUsage().heapUsed;
    const collected = collections;
    collect!();
    collections = 0;
    windowStart = performance.now();
    return { used, collected, after: process.memoryUsage().heapUsed };
  }
  if (message.kind === 'cpu') {
    const { user, system } = process.cpuUsage();
    return { micros: user + system };
  }
  if (message.kind === 'sample') {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: message.intervalBytes ?? 512,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    });
    return {};
  }
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const head = profile.head as ProfileNode;
  return { components: componentsOf(head), detail: componentsOf(head, true) };
}

process.on('message', (message: { readonly kind: string }) => {
  void answer(message).then((reply) => process.send!(reply));
});
