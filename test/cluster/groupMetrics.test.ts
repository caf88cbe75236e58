import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { groupMetricsText } from '../../src/cluster/groupMetrics.js';

/** One worker's registry as the primary gets it: prom-client's JSON of a counter at `count`. */
async function workerJson(count: number): Promise<unknown> {
  const registry = new Registry();
  new Counter({ name: 'iptv_auth_bridge_checks_total', help: 'checks', registers: [registry] }).inc(count);
  return registry.getMetricsAsJSON();
}

describe('groupMetricsText', () => {
  it('sums the workers that answered and counts the ones that did not, rather than failing the scrape', async () => {
    const text = await groupMetricsText([
      () => workerJson(3),
      () => Promise.reject(new Error('status: no answer within 2000 ms')),
      () => workerJson(4),
    ]);
    expect(text).toMatch(/^iptv_auth_bridge_checks_total 7$/m);
    expect(text).toMatch(/^iptv_auth_bridge_workers_unreported 1$/m);
  });

  it('says 0 unreported when every worker answered', async () => {
    expect(await groupMetricsText([() => workerJson(1)])).toMatch(/^iptv_auth_bridge_workers_unreported 0$/m);
  });
});
