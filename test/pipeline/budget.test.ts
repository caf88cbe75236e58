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

  it('aborts the signal when the budget is spent, and answers the fallback a grace later if the steps ignore it', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    const signal = check.startBudget();
    const answer = check.within(never, fallback);
    await vi.advanceTimersByTimeAsync(999);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(50);
    await expect(answer).resolves.toMatchObject({ source: DEFAULT_SOURCE });
  });

  it('lets steps that heed the abort answer with what they have, and leaves no timer behind', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    const running = new Promise<StepAnswer>((resolve) =>
      check.startBudget().addEventListener('abort', () => resolve({ allow: false, source: backendSource('a') })),
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
