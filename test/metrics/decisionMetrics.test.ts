import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { decisionMetrics, PREFIX } from '../../src/metrics/decisionMetrics.js';
import { type CheckAnswered, DECIDED_BY_KINDS } from '../../src/observe.js';
import { parsePrometheusText, sampleValue } from '../support/promText.js';

function answered(outcome: CheckAnswered['outcome'], by: CheckAnswered['by']): CheckAnswered {
  return {
    route: 'default',
    protocol: 'mediamtx',
    caller: '127.0.0.1',
    viewer: undefined,
    decision: undefined,
    outcome,
    by,
    cache: 'none',
    status: outcome === 'allow' ? 200 : 403,
    durationMs: 1,
  };
}

describe('decisionMetrics', () => {
  it('counts every kind of decider in a cell of its own, per outcome, on one route and protocol', async () => {
    const registry = new Registry();
    const metrics = decisionMetrics(registry, (route) => route);
    // Each (outcome, kind) once, and a publish allow after a publish deny: a route's publish setting can change on reload.
    for (const by of DECIDED_BY_KINDS)
      for (const outcome of ['deny', 'allow'] as const) metrics.checkAnswered(answered(outcome, by));
    const samples = parsePrometheusText(await registry.metrics());
    for (const by of DECIDED_BY_KINDS)
      for (const decision of ['deny', 'allow'])
        expect(
          sampleValue(samples, `${PREFIX}decisions_total`, {
            route: 'default',
            dialect: 'mediamtx',
            decision,
            by,
            cache: 'none',
          }),
          `${decision} by ${by}`,
        ).toBe(1);
    const totals = metrics.totals();
    expect([totals.allow, totals.deny]).toEqual([DECIDED_BY_KINDS.length, DECIDED_BY_KINDS.length]);
  });

  it('labels a route anew after a reload: a removed one under (unknown), an added one under its name, counts kept', async () => {
    const registry = new Registry();
    let configured = ['default', 'old'];
    const metrics = decisionMetrics(registry, (route) => (configured.includes(route) ? route : '(unknown)'));
    const on = (route: string) => ({ ...answered('allow', 'backend'), route });
    metrics.checkAnswered(on('old'));
    metrics.checkAnswered(on('new'));
    configured = ['default', 'new'];
    metrics.routesChanged();
    metrics.checkAnswered(on('old'));
    metrics.checkAnswered(on('new'));
    metrics.checkAnswered(on('new'));

    const samples = parsePrometheusText(await registry.metrics());
    const decided = (route: string) =>
      sampleValue(samples, `${PREFIX}decisions_total`, { route, decision: 'allow', by: 'backend', cache: 'none' });
    const timed = (route: string) => sampleValue(samples, `${PREFIX}decision_duration_seconds_count`, { route });
    expect([decided('old'), decided('new'), decided('(unknown)')]).toEqual([1, 2, 2]);
    expect([timed('old'), timed('new'), timed('(unknown)')]).toEqual([1, 2, 2]);
    expect(metrics.totals().allow).toBe(5);
  });
});
