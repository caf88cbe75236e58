import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellHistogram } from '../../src/metrics/cellHistogram.js';
import { parsePrometheusText } from '../support/promText.js';

async function exposed(registry: Registry) {
  return parsePrometheusText(await registry.metrics());
}

describe('CellHistogram', () => {
  it('is exposed by the registry as a Prometheus histogram: cumulative buckets, +Inf, sum and count', async () => {
    const registry = new Registry();
    const histogram = new CellHistogram('t_seconds', 'Test durations', 'route', [0.01, 0.1], registry);
    const tv = histogram.cell('tv');
    for (const value of [0.005, 0.01, 0.05, 3]) histogram.observe(tv, value);

    const text = await registry.metrics();
    expect(text).toContain('# HELP t_seconds Test durations\n# TYPE t_seconds histogram\n');
    expect(parsePrometheusText(text)).toEqual([
      // A value equal to a bound counts in that bucket (le: less than or equal).
      { name: 't_seconds_bucket', labels: { route: 'tv', le: '0.01' }, value: 2 },
      { name: 't_seconds_bucket', labels: { route: 'tv', le: '0.1' }, value: 3 },
      { name: 't_seconds_bucket', labels: { route: 'tv', le: '+Inf' }, value: 4 },
      { name: 't_seconds_sum', labels: { route: 'tv' }, value: 3.065 },
      { name: 't_seconds_count', labels: { route: 'tv' }, value: 4 },
    ]);
  });

  it('keeps one cell per label value, given again to whoever asks for it', async () => {
    const registry = new Registry();
    const histogram = new CellHistogram('t_seconds', 'Test durations', 'route', [1], registry);
    expect(histogram.cell('a')).toBe(histogram.cell('a'));
    histogram.observe(histogram.cell('a'), 0.5);
    histogram.observe(histogram.cell('b'), 2);

    const counts = (await exposed(registry)).filter((sample) => sample.name === 't_seconds_count');
    expect(counts).toEqual([
      { name: 't_seconds_count', labels: { route: 'a' }, value: 1 },
      { name: 't_seconds_count', labels: { route: 'b' }, value: 1 },
    ]);
  });

  it('shows no samples before a first cell, only its name and type', async () => {
    const registry = new Registry();
    new CellHistogram('t_seconds', 'Test durations', 'route', [1], registry);
    expect(await exposed(registry)).toEqual([]);
    expect(await registry.metrics()).toContain('# TYPE t_seconds histogram');
  });
});
