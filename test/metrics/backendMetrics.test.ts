import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { backendMetrics } from '../../src/metrics/backendMetrics.js';
import { parsePrometheusText } from '../support/promText.js';

/** A clock for lastAt that moves a second at every reading. */
function ticking() {
  let at = Date.UTC(2026, 0, 1);
  return () => {
    at += 1000;
    return new Date(at);
  };
}

describe('backendMetrics', () => {
  it('counts every request by backend and outcome, and times all but those an open circuit skipped', async () => {
    const registry = new Registry();
    const metrics = backendMetrics(registry, ticking());
    metrics.backendAsked({ backend: 'mw', outcome: 'allow', durationMs: 20 });
    metrics.backendAsked({ backend: 'mw', outcome: 'timeout', durationMs: 500 });
    metrics.backendAsked({ backend: 'mw', outcome: 'circuit-open', durationMs: 0 });

    const samples = parsePrometheusText(await registry.metrics());
    expect(samples.filter((sample) => sample.name === 'iptv_auth_bridge_backend_requests_total')).toEqual([
      { name: 'iptv_auth_bridge_backend_requests_total', labels: { backend: 'mw', outcome: 'allow' }, value: 1 },
      { name: 'iptv_auth_bridge_backend_requests_total', labels: { backend: 'mw', outcome: 'timeout' }, value: 1 },
      { name: 'iptv_auth_bridge_backend_requests_total', labels: { backend: 'mw', outcome: 'circuit-open' }, value: 1 },
    ]);
    expect(samples.find((sample) => sample.name === 'iptv_auth_bridge_backend_request_duration_seconds_count')).toEqual(
      {
        name: 'iptv_auth_bridge_backend_request_duration_seconds_count',
        labels: { backend: 'mw' },
        value: 2,
      },
    );
    expect(
      samples.find((sample) => sample.name === 'iptv_auth_bridge_backend_request_duration_seconds_sum')?.value,
    ).toBeCloseTo(0.52);
  });

  it('keeps each backend recent state for the status page: failures are what got no allow or deny', () => {
    const metrics = backendMetrics(new Registry(), ticking());
    expect(metrics.recent('mw')).toBeUndefined();
    metrics.backendAsked({ backend: 'mw', outcome: 'deny', durationMs: 10 });
    metrics.backendAsked({ backend: 'mw', outcome: 'server-error', durationMs: 30 });
    metrics.backendAsked({ backend: 'other', outcome: 'allow', durationMs: 5 });

    expect(metrics.recent('mw')).toEqual({
      requests: 2,
      failures: 1,
      lastOutcome: 'server-error',
      lastAt: '2026-01-01T00:00:02.000Z',
      // The first request's duration, then a tenth of the way towards each newer one.
      latencyMs: 12,
    });
    expect(metrics.recent('other')).toMatchObject({ requests: 1, failures: 0, latencyMs: 5 });
  });

  it('leaves the recent latency alone for requests an open circuit skipped, and rounds it to 0.01 ms', () => {
    const metrics = backendMetrics(new Registry(), ticking());
    metrics.backendAsked({ backend: 'mw', outcome: 'circuit-open', durationMs: 0 });
    expect(metrics.recent('mw')).toMatchObject({ requests: 1, failures: 1, latencyMs: undefined });
    metrics.backendAsked({ backend: 'mw', outcome: 'allow', durationMs: 1.23456 });
    metrics.backendAsked({ backend: 'mw', outcome: 'circuit-open', durationMs: 0 });
    expect(metrics.recent('mw')).toMatchObject({ requests: 3, failures: 2, latencyMs: 1.23 });
  });
});
