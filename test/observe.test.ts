import { describe, expect, it, vi } from 'vitest';
import { kindOf, observeAll, type CheckAnswered } from '../src/observe.js';
import { backendSource, DEFAULT_SOURCE, policySource } from '../src/pipeline/decision.js';

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

describe('kindOf', () => {
  it.each([
    [backendSource('portal'), 'backend'],
    [policySource('ip-rule', 'deny 10.0.0.1'), 'ip-rule'],
    [policySource('securetoken', 'expired'), 'securetoken'],
    [policySource('user', 'over connection limit', 'alice'), 'user'],
    [policySource('token-binding'), 'token-binding'],
    [policySource('connection-limit'), 'connection-limit'],
    [DEFAULT_SOURCE, 'default'],
    [policySource('publish', 'deny'), 'publish'],
  ])('$by is of kind %s', (source, kind) => {
    expect(kindOf(source)).toBe(kind);
  });
});

describe('observeAll', () => {
  it('passes each event to every observer, past one that throws', () => {
    const seen = vi.fn();
    const errors = vi.fn();
    const all = observeAll(
      [
        {
          checkAnswered: () => {
            throw new Error('broken observer');
          },
        },
        { checkAnswered: seen },
      ],
      errors,
    );
    all.checkAnswered!(event);
    expect(seen).toHaveBeenCalledWith(event);
    expect(errors).toHaveBeenCalledTimes(1);
  });

  it('is empty when nobody watches', () => {
    expect(observeAll([{}]).checkAnswered).toBeUndefined();
    expect(observeAll([{ checkAnswered: vi.fn() }]).sessionEnded).toBeUndefined();
  });

  it('passes ended sessions to every observer that watches them, past one that throws', () => {
    const seen = vi.fn();
    const errors = vi.fn();
    const ended = {
      route: 'default',
      protocol: 'srs',
      caller: '127.0.0.1',
      ip: '203.0.113.7',
      session: 'c1',
      reason: 'on_stop',
    };
    const all = observeAll(
      [
        {
          sessionEnded: () => {
            throw new Error('broken');
          },
        },
        { checkAnswered: vi.fn() },
        { sessionEnded: seen },
      ],
      errors,
    );
    all.sessionEnded!(ended);
    expect(seen).toHaveBeenCalledWith(ended);
    expect(errors).toHaveBeenCalledTimes(1);
  });
});

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
