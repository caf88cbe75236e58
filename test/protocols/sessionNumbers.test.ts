import { describe, expect, it } from 'vitest';
import { SessionNumbers } from '../../src/protocols/sessionNumbers.js';

describe('SessionNumbers', () => {
  it('is bounded: past maxSessions the longest idle session is forgotten first', () => {
    let now = 0;
    const numbers = new SessionNumbers({ idleSeconds: 3600, maxSessions: 2, now: () => now });
    numbers.next('c', 'a');
    now += 1;
    numbers.next('c', 'b');
    now += 1;
    numbers.next('c', 'a');
    now += 1;
    numbers.next('c', 'new');
    expect(numbers.size).toBe(2);
    expect(numbers.next('c', 'a').requestType).toBe('update_session');
    expect(numbers.next('c', 'b')).toEqual({ requestType: 'new_session', requestNumber: 1 });
  });

  it('forgets idle sessions as time passes, without a timer', () => {
    let now = 0;
    const numbers = new SessionNumbers({ idleSeconds: 10, maxSessions: 100, now: () => now });
    for (const session of ['a', 'b', 'c']) numbers.next('c', session);
    now = 10_001;
    numbers.next('c', 'd');
    expect(numbers.size).toBe(1);
  });
});
