import { describe, expect, it } from 'vitest';
import type { BackendView } from '../../src/admin/status.js';
import { NOT_SERVING, withWorkers, workerStatus, type WorkerStatus } from '../../src/cluster/groupStatus.js';

const totals = (allow: number, hit: number) => ({
  allow,
  deny: 1,
  refused: 0,
  defaults: 1,
  cache: { hit, miss: 1, stale: 0, none: 0 },
  coalesced: 0,
});
const health = { status: 'ok' as const, store: { store: 'memory' as const, ok: true }, backends: {} };

describe('withWorkers', () => {
  it("counts decisions over every worker that answered and lists each worker's part", () => {
    const workers: WorkerStatus[] = [
      workerStatus(1, health, [], totals(3, 2), 10, 'sha-1'),
      workerStatus(2, health, [], totals(4, 5), 9, 'sha-1'),
      { slot: 3, pid: 77, error: 'statuses: no answer within 2000 ms' },
    ];
    const status = withWorkers({ version: '0.1.0', decisions: totals(3, 2), backends: [] }, workers);
    expect(status.decisions).toEqual({
      allow: 7,
      deny: 2,
      refused: 0,
      defaults: 2,
      cache: { hit: 7, miss: 2, stale: 0, none: 0 },
      coalesced: 0,
    });
    expect(status.workers.map((worker) => worker.slot)).toEqual([1, 2, 3]);
    expect(status.workers[0]).toMatchObject({ pid: process.pid, uptimeSeconds: 10, status: 'ok' });
    expect(status.version).toBe('0.1.0');
  });

  it('says the group is degraded while a worker does not serve, did not answer or is degraded itself', () => {
    const lead = { status: 'ok', decisions: totals(3, 2), backends: [] };
    const ok = workerStatus(1, health, [], totals(3, 2), 10, 'sha-1');
    expect(withWorkers(lead, [ok, workerStatus(2, health, [], totals(1, 1), 9, 'sha-1')]).status).toBe('ok');
    expect(withWorkers(lead, [ok, { slot: 2, pid: 78, error: NOT_SERVING }]).status).toBe('degraded');
    const degraded = workerStatus(2, { ...health, status: 'degraded' }, [], totals(1, 1), 9, 'sha-1');
    expect(withWorkers(lead, [ok, degraded]).status).toBe('degraded');
  });

  it('counts each backend over every worker: requests and failures summed, the latest outcome, the worst circuit', () => {
    const portal = (view: Partial<BackendView>): BackendView => ({
      name: 'portal',
      type: 'ministra',
      circuit: 'closed',
      failing: false,
      requests: 0,
      failures: 0,
      lastOutcome: null,
      lastAt: null,
      latencyMs: null,
      ...view,
    });
    const lead = {
      decisions: totals(3, 2),
      backends: [
        portal({ requests: 8, failures: 2, lastOutcome: 'allow', lastAt: '2026-12-03T10:00:01.000Z', latencyMs: 10 }),
        portal({ name: 'quiet', type: 'http' }),
      ],
    };
    const workers = [
      workerStatus(1, health, lead.backends, totals(3, 2), 10, 'sha-1'),
      workerStatus(
        2,
        health,
        [
          portal({
            requests: 12,
            failures: 3,
            lastOutcome: 'server-error',
            lastAt: '2026-12-03T10:00:02.000Z',
            latencyMs: 20,
            // As backendViews says of a last request that failed.
            failing: true,
          }),
          portal({ name: 'quiet', type: 'http', circuit: 'open', failing: true }),
        ],
        totals(1, 1),
        9,
        'sha-1',
      ),
      { slot: 3, pid: 77, error: 'statuses: no answer within 2000 ms' },
    ];
    expect(withWorkers(lead, workers).backends).toEqual([
      portal({
        requests: 20,
        failures: 5,
        lastOutcome: 'server-error',
        lastAt: '2026-12-03T10:00:02.000Z',
        latencyMs: 16,
        failing: true,
      }),
      portal({ name: 'quiet', type: 'http', circuit: 'open', failing: true }),
    ]);
  });

  it("keeps the lead's own count when no worker answered", () => {
    expect(withWorkers({ decisions: totals(3, 2), backends: [] }, []).decisions).toEqual(totals(3, 2));
  });
});
