import { describe, expect, it } from 'vitest';
import { EarlyEnds } from '../../src/sessions/earlyEnds.js';

describe('EarlyEnds', () => {
  it('gives an end back to every check that began before it, and forgets it at the first that began after', () => {
    const ends = new EarlyEnds();
    ends.heard('k', 1000, 'unseen');
    // Two checks of the session were under way when it ended.
    expect(ends.endedAfter('k', 900)).toEqual({ at: 1000, ended: 'unseen' });
    expect(ends.endedAfter('k', 950)).toEqual({ at: 1000, ended: 'unseen' });
    ends.heard('k', 1000, 'live');
    expect(ends.endedAfter('k', 1001)).toBeUndefined();
    // Forgotten all the same: the check that began after it started the session anew.
    expect(ends.endedAfter('k', 0)).toBeUndefined();
    expect(ends.endedAfter('never', 0)).toBeUndefined();
  });

  it('keeps an end ten minutes, the latest of a key heard twice', () => {
    const ends = new EarlyEnds();
    ends.heard('old', 0, 'live');
    ends.heard('k', 0, 'live');
    ends.heard('k', 5 * 60_000, 'unseen');
    ends.prune(10 * 60_000 + 1);
    expect(ends.endedAfter('old', 0)).toBeUndefined();
    expect(ends.endedAfter('k', 0)).toEqual({ at: 5 * 60_000, ended: 'unseen' });
  });

  it('holds at most 20,000 ends, dropping the oldest: a flood of ends for sessions never checked grows nothing', () => {
    const ends = new EarlyEnds();
    for (let i = 0; i <= 20_000; i++) ends.heard(`s${i}`, i, 'unseen');
    expect(ends.endedAfter('s0', 0)).toBeUndefined();
    expect(ends.endedAfter('s1', 0)).toEqual({ at: 1, ended: 'unseen' });
    expect(ends.endedAfter('s20000', 0)).toEqual({ at: 20_000, ended: 'unseen' });
  });
});
