import { describe, expect, it } from 'vitest';
import { isoTimeMs, pointInTime } from '../../src/config/isoTime.js';

describe('isoTimeMs', () => {
  it('reads a date as midnight UTC and a date-time with Z or an offset', () => {
    expect(isoTimeMs('2026-01-31')).toBe(Date.UTC(2026, 0, 31));
    expect(isoTimeMs('2026-01-31T18:00:00Z')).toBe(Date.UTC(2026, 0, 31, 18));
    expect(isoTimeMs('2026-01-31 18:00Z')).toBe(Date.UTC(2026, 0, 31, 18));
    expect(isoTimeMs('2026-01-31T21:00:00.5+03:00')).toBe(Date.UTC(2026, 0, 31, 18, 0, 0, 500));
    expect(isoTimeMs('2026-01-31T21:00+0300')).toBe(Date.UTC(2026, 0, 31, 18));
    expect(isoTimeMs(' 2026-01-31 ')).toBe(Date.UTC(2026, 0, 31));
  });

  it('refuses a zone-less time, a date the calendar lacks and anything else', () => {
    for (const text of [
      '2026-01-31T18:00:00',
      '2026-01-31 18:00',
      '2026-02-30',
      '2026-13-01',
      '2026-00-10',
      '2026-01-31T25:00Z',
      '2026-1-31',
      '2026-01-31garbage',
      'yesterday',
      '',
    ])
      expect(isoTimeMs(text), text).toBeUndefined();
  });
});

describe('pointInTime', () => {
  const now = Date.UTC(2026, 11, 2, 12);
  it('reads a duration back from now, or an ISO time', () => {
    expect(pointInTime('24h', now)).toBe(now - 86_400_000);
    expect(pointInTime('90m', now)).toBe(now - 5_400_000);
    expect(pointInTime('2026-12-01', now)).toBe(Date.UTC(2026, 11, 1));
    expect(pointInTime('0h', now)).toBeUndefined();
    // A bare number would be seconds as a duration, but reads as a year here.
    expect(pointInTime('2026', now)).toBeUndefined();
    expect(pointInTime('90', now)).toBeUndefined();
    expect(pointInTime('2026-12-01T10:00:00', now)).toBeUndefined();
  });
});
