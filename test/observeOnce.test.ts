import { describe, expect, it, vi } from 'vitest';
import { observeAll, type CheckAnswered } from '../src/observe.js';

const event: CheckAnswered = {
  route: 'default',
  protocol: 'cesbo',
  caller: '127.0.0.1',
  viewer: undefined,
  decision: undefined,
  outcome: 'refused',
  by: 'refused',
  cache: 'none',
  status: 400,
  durationMs: 0.1,
};

const throwing = {
  checkAnswered: () => {
    throw new Error('broken observer');
  },
};

describe('observeAll of one combined observer', () => {
  it('is that observer, whose own catch still hears what throws', () => {
    const inner = vi.fn();
    const outer = vi.fn();
    const seen = vi.fn();
    const combined = observeAll([throwing, { checkAnswered: seen }], inner);
    const again = observeAll([combined], outer);
    expect(again).toBe(combined);
    again.checkAnswered!(event);
    expect(seen).toHaveBeenCalledWith(event);
    expect(inner).toHaveBeenCalledTimes(1);
    expect(outer).not.toHaveBeenCalled();
  });

  it('still wraps an observer it did not make, and a combined one beside another', () => {
    const errors = vi.fn();
    const plain = observeAll([throwing], errors);
    expect(plain).not.toBe(throwing);
    plain.checkAnswered!(event);
    const seen = vi.fn();
    const both = observeAll([observeAll([throwing], errors), { checkAnswered: seen }], errors);
    both.checkAnswered!(event);
    expect(seen).toHaveBeenCalledWith(event);
    expect(errors).toHaveBeenCalledTimes(2);
  });
});
