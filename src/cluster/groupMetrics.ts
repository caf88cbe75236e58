import { AggregatorRegistry, Gauge } from 'prom-client';
import { PREFIX } from '../metrics/decisionMetrics.js';

/**
 * The group's `/metrics`, made by the primary from what each worker answered (`metricsJson`): counters and
 * histograms summed, gauges as each declares its `aggregator`. A worker that does not answer in time (wedged,
 * stopped, restarting) is left out and counted in `workers_unreported`, instead of the whole scrape failing: with
 * prom-client's own cluster gathering, one silent worker took the group's metrics away for as long as it was silent.
 */
export async function groupMetricsText(asks: readonly (() => Promise<unknown>)[]): Promise<string> {
  const answers = await Promise.all(asks.map((ask) => ask().catch(() => undefined)));
  // Each worker's registry as prom-client's JSON (a list of metrics); anything else is no answer.
  const answered = answers.filter((json): json is object[] => Array.isArray(json));
  const registry = AggregatorRegistry.aggregate(answered);
  new Gauge({
    name: `${PREFIX}workers_unreported`,
    help: 'Workers whose metrics are missing from this scrape: they did not answer the primary in time',
    registers: [registry],
  }).set(answers.length - answered.length);
  return registry.metrics();
}
