import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BudgetedCheck } from '../../src/pipeline/budget.js';
import { backendSource, DEFAULT_SOURCE, type StepAnswer } from '../../src/pipeline/decision.js';

const viewer = { dialect: 'cesbo' as const, rawQuery: '' };
const fallback = () => Promise.resolve<StepAnswer>({ allow: false, source: DEFAULT_SOURCE });
const never = new Promise<StepAnswer>(() => undefined);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('a check and its time budget', () => {
  it('starts no timer until a step starts the budget', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    const answer = check.within(Promise.resolve({ allow: true, source: backendSource('mw'), cache: 'hit' }), fallback);
    expect(vi.getTimerCount()).toBe(0);
    await expect(answer).resolves.toMatchObject({ cache: 'hit' });
  });

  it('gives every step the same deadline, the budget after the first one started it, and one timer', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    const started = performance.now();
    const deadline = check.startBudget();
    expect(deadline).toBe(started + 1000);
    await vi.advanceTimersByTimeAsync(300);
    expect(check.startBudget()).toBe(deadline);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('answers the fallback a grace after the deadline when the steps have not finished by then', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    check.startBudget();
    let settled: StepAnswer | undefined;
    void check.within(never, fallback).then((answer) => (settled = answer));
    await vi.advanceTimersByTimeAsync(1049);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toMatchObject({ source: DEFAULT_SOURCE });
  });

  it('lets steps that stop at the deadline answer with what they have, and leaves no timer behind', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    const deadline = check.startBudget();
    // A step that heeds the deadline, as a middleware request does with its own timeout.
    const running = new Promise<StepAnswer>((resolve) =>
      setTimeout(() => resolve({ allow: false, source: backendSource('a') }), deadline - performance.now()),
    );
    const answer = check.within(running, fallback);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(answer).resolves.toMatchObject({ source: { by: 'backend:a' } });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes a failing step on as a failure, for the handler to answer 403', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    check.startBudget();
    await expect(check.within(Promise.reject(new Error('bug')), fallback)).rejects.toThrow('bug');
    expect(vi.getTimerCount()).toBe(0);
  });
});
