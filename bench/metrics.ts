/**
 * What counting one answered check costs, measured in this process where the
 * machine's other load cannot blur it: the metrics observer fed the event a
 * cached decision produces, timed over many calls, with prom-client's own
 * labelled counter and histogram (what a straightforward implementation would
 * call per check) side by side.
 */
import { performance } from 'node:perf_hooks';
import { Counter, Histogram, Registry } from 'prom-client';
import { createMetrics } from '../src/metrics/metrics.js';
import type { CheckAnswered } from '../src/observe.js';
import { backendSource } from '../src/pipeline/decision.js';

const CALLS = 2_000_000;

const event: CheckAnswered = {
  route: 'default',
  protocol: 'cesbo',
  caller: '127.0.0.1',
  viewer: undefined,
  decision: { allow: true, source: backendSource('mw'), ttlSeconds: 300, cache: 'hit' },
  outcome: 'allow',
  by: 'backend',
  cache: 'hit',
  status: 200,
  durationMs: 0.21,
};

function nanosPerCall(call: () => void): number {
  for (let i = 0; i < CALLS / 10; i++) call();
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) call();
  return ((performance.now() - started) * 1e6) / CALLS;
}

export function metricsCost(): { cells: number; promClient: number } {
  const metrics = createMetrics({
    health: () => ({ status: 'ok', store: { store: 'memory', ok: true }, backends: {} }),
    routes: () => ['default'],
  });
  const observe = metrics.observer.checkAnswered!;
  const registry = new Registry();
  const counter = new Counter({
    name: 'c',
    help: 'c',
    labelNames: ['route', 'dialect', 'decision', 'by', 'cache'],
    registers: [registry],
  });
  const histogram = new Histogram({ name: 'h', help: 'h', labelNames: ['route'], registers: [registry] });
  const counterChild = counter.labels('default', 'cesbo', 'allow', 'backend', 'hit');
  const histogramChild = histogram.labels('default');
  return {
    cells: nanosPerCall(() => observe(event)),
    promClient: nanosPerCall(() => {
      counterChild.inc();
      histogramChild.observe(event.durationMs / 1000);
    }),
  };
}
