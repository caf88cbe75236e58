import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BudgetedCheck } from '../../src/pipeline/budget.js';
import type { Verdict } from '../../src/pipeline/types.js';

const viewer = { dialect: 'cesbo' as const, rawQuery: '' };
const fallback = () => Promise.resolve<Verdict>({ allow: false, decidedBy: 'default' });
const never = new Promise<Verdict>(() => undefined);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('a check and its time budget', () => {
  it('starts no timer until a step asks for the signal', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    const answer = check.within(Promise.resolve({ allow: true, decidedBy: 'cache' }), fallback);
    expect(vi.getTimerCount()).toBe(0);
    await expect(answer).resolves.toMatchObject({ decidedBy: 'cache' });
  });

  it('aborts the signal when the budget is spent, and answers the fallback a grace later if the steps ignore it', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    const signal = check.signal;
    const answer = check.within(never, fallback);
    await vi.advanceTimersByTimeAsync(999);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(50);
    await expect(answer).resolves.toMatchObject({ decidedBy: 'default' });
  });

  it('lets steps that heed the abort answer with what they have, and leaves no timer behind', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    const running = new Promise<Verdict>((resolve) =>
      check.signal.addEventListener('abort', () => resolve({ allow: false, decidedBy: 'backend:a' })),
    );
    const answer = check.within(running, fallback);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(answer).resolves.toMatchObject({ decidedBy: 'backend:a' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes a failing step on as a failure, for the handler to answer 403', async () => {
    const check = new BudgetedCheck('default', viewer, 1000);
    void check.signal;
    await expect(check.within(Promise.reject(new Error('bug')), fallback)).rejects.toThrow('bug');
    expect(vi.getTimerCount()).toBe(0);
  });
});
