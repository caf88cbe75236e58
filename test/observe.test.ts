import { describe, expect, it, vi } from 'vitest';
import { kindOf, observeAll, type CheckAnswered } from '../src/observe.js';

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
    ['backend:portal', 'backend'],
    ['ip-rule (deny 10.0.0.1)', 'ip-rule'],
    ['securetoken (expired)', 'securetoken'],
    ['user:alice (over connection limit)', 'user'],
    ['token-binding', 'token-binding'],
    ['connection-limit', 'connection-limit'],
    ['default', 'default'],
    ['publish (deny)', 'publish'],
    ['something new', 'internal-error'],
  ])('%s is of kind %s', (decidedBy, kind) => {
    expect(kindOf(decidedBy)).toBe(kind);
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
