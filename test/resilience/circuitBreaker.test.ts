import { describe, expect, it } from 'vitest';
import type { BackendVerdict, MiddlewareAdapter } from '../../src/adapters/types.js';
import { withCircuitBreaker } from '../../src/resilience/circuitBreaker.js';
import { memoryLogger } from '../support/bridge.js';

const viewer = { dialect: 'cesbo' as const, rawQuery: 'token=t', token: 't' };
const signal = new AbortController().signal;
const ALLOW: BackendVerdict = { outcome: 'allow', info: {}, notes: [] };
const TIMEOUT: BackendVerdict = { outcome: 'error', error: 'timeout', detail: 'no complete answer within timeoutMs' };
const CANCELLED: BackendVerdict = { outcome: 'error', error: 'cancelled', detail: 'no longer needed' };

/** A backend answering what the test queues (or throwing when told), counting its checks. */
function scripted() {
  const answers: Array<BackendVerdict | 'throw' | Promise<BackendVerdict>> = [];
  let asked = 0;
  const adapter: MiddlewareAdapter = {
    name: 'mw',
    check: () => {
      asked++;
      const next = answers.shift() ?? ALLOW;
      if (next === 'throw') throw new TypeError('adapter bug');
      return Promise.resolve(next);
    },
  };
  return { adapter, answers, asked: () => asked };
}

function breaker(failures = 2, cooldown = 10) {
  const backend = scripted();
  let now = 1_000_000;
  const lines: string[] = [];
  const guarded = withCircuitBreaker(backend.adapter, { failures, cooldown }, memoryLogger(lines), () => now);
  return { guarded, backend, lines, advance: (ms: number) => (now += ms) };
}

describe('circuit breaker', () => {
  it('passes answers through while closed', async () => {
    const { guarded, backend } = breaker();
    await expect(guarded.check(viewer, signal)).resolves.toBe(ALLOW);
    expect([guarded.circuit(), backend.asked()]).toEqual(['closed', 1]);
  });

  it('opens after `failures` failures in a row and skips the backend for the cool-down', async () => {
    const { guarded, backend } = breaker(2);
    backend.answers.push(TIMEOUT, TIMEOUT);
    await guarded.check(viewer, signal);
    expect(guarded.circuit()).toBe('closed');
    await guarded.check(viewer, signal);
    expect(guarded.circuit()).toBe('open');
    await expect(guarded.check(viewer, signal)).resolves.toMatchObject({ outcome: 'error', error: 'circuit-open' });
    expect(backend.asked()).toBe(2);
  });

  it('an answer in between starts the count again; a cancelled check counts as nothing', async () => {
    const { guarded, backend } = breaker(2);
    backend.answers.push(TIMEOUT, ALLOW, TIMEOUT, CANCELLED, CANCELLED);
    for (let i = 0; i < 5; i++) await guarded.check(viewer, signal);
    expect(guarded.circuit()).toBe('closed');
  });

  it('after the cool-down lets one probe through: its answer closes the circuit', async () => {
    const { guarded, backend, advance } = breaker(1, 10);
    backend.answers.push(TIMEOUT);
    await guarded.check(viewer, signal);
    advance(10_000);
    expect(guarded.circuit()).toBe('half-open');
    let answer!: (verdict: BackendVerdict) => void;
    backend.answers.push(new Promise<BackendVerdict>((resolve) => (answer = resolve)));
    const probe = guarded.check(viewer, signal);
    // While the probe is out, other checks are skipped rather than sent to a backend that may still be down.
    await expect(guarded.check(viewer, signal)).resolves.toMatchObject({ error: 'circuit-open' });
    answer(ALLOW);
    await expect(probe).resolves.toBe(ALLOW);
    expect([guarded.circuit(), backend.asked()]).toEqual(['closed', 2]);
  });

  it('a failed probe opens the circuit again for another cool-down', async () => {
    const { guarded, backend, advance } = breaker(1, 10);
    backend.answers.push(TIMEOUT, TIMEOUT);
    await guarded.check(viewer, signal);
    advance(10_000);
    await guarded.check(viewer, signal);
    expect(guarded.circuit()).toBe('open');
    advance(9_999);
    await expect(guarded.check(viewer, signal)).resolves.toMatchObject({ error: 'circuit-open' });
    expect(backend.asked()).toBe(2);
  });

  it('a probe whose adapter throws leaves the next check free to probe', async () => {
    const { guarded, backend, advance } = breaker(1, 10);
    backend.answers.push(TIMEOUT, 'throw');
    await guarded.check(viewer, signal);
    advance(10_000);
    await expect(guarded.check(viewer, signal)).rejects.toThrow('adapter bug');
    await expect(guarded.check(viewer, signal)).resolves.toBe(ALLOW);
    expect(guarded.circuit()).toBe('closed');
  });
});
