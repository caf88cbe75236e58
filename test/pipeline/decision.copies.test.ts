import { describe, expect, it } from 'vitest';
import { backendSource, type StepAnswer, withLifetime, withMiss } from '../../src/pipeline/decision.js';

// The copies a miss makes of a step's answer: every field kept, only the one named changed.
const full: StepAnswer = {
  allow: true,
  source: backendSource('mw'),
  ttlSeconds: 600,
  answer: { sessionName: 'alice', userId: '7', authDuration: 600 },
  sessionName: 'alice',
  redirect: undefined,
  cache: 'hit',
  miss: 'joined',
  countedAs: { user: 'local:alice', limit: 2, unique: false },
};

describe('answer copies', () => {
  it('withMiss keeps every field and sets the miss, leaving the answer it copies as it was', () => {
    const copy = withMiss(full, 'asked');
    expect(copy).toEqual({ ...full, miss: 'asked' });
    expect(copy).not.toBe(full);
    expect(full.miss).toBe('joined');
    // Shared by reference, as a spread shares them.
    expect(copy.source).toBe(full.source);
    expect(copy.answer).toBe(full.answer);
  });

  it('withLifetime keeps every field and sets the lifetime', () => {
    const { ttlSeconds: _, ...withoutLifetime } = full;
    const settled = withLifetime(withoutLifetime, 30);
    expect(settled).toEqual({ ...full, ttlSeconds: 30 });
    expect('ttlSeconds' in withoutLifetime).toBe(false);
  });

  it('copies a deny with only the fields it has, the others undefined', () => {
    const deny: StepAnswer = { allow: false, source: backendSource('mw'), redirect: 'http://portal/renew' };
    const copy = withMiss(deny, 'asked');
    expect(copy).toEqual({ allow: false, source: deny.source, redirect: 'http://portal/renew', miss: 'asked' });
    expect(JSON.stringify(copy)).toBe(JSON.stringify({ ...deny, miss: 'asked' }));
  });
});
