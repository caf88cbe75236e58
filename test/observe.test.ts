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
    const ended = { route: 'default', protocol: 'srs', caller: '127.0.0.1', session: 'c1', reason: 'on_stop' };
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
