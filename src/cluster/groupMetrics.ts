import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * The primary's side of `/metrics` for the whole group: prom-client asks every
 * worker for its registry and merges them (counters and histograms summed,
 * gauges as each declares its `aggregator`).
 */
export function aggregatedMetrics(): () => Promise<string> {
  const registry = new AggregatorRegistry();
  return () => registry.clusterMetrics();
}

/**
 * A worker's side: answers the primary's requests with this registry (the bridge's own, not prom-client's global one).
 */
export function shareMetrics(registry: Registry): void {
  // Constructing one is what makes prom-client listen for the primary's requests in a worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}
