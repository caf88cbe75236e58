import { describe, expect, it } from 'vitest';
import { duration, parseDuration } from '../../src/config/duration.js';

describe('durations', () => {
  it.each([
    ['90', 90],
    [90, 90],
    ['90s', 90],
    ['90m', 5400],
    ['3h', 10_800],
    ['2d', 172_800],
    [' 2d ', 172_800],
  ])('%j is %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
    expect(duration.parse(text)).toBe(seconds);
  });

  it.each(['0', '0s', '-5m', '1.5h', '3 hours', '2w', '', 'd', '99999999999d', '36501d', 1.5, -1])(
    '%j is not a duration',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
      expect(duration.safeParse(text).error?.issues[0]?.message).toBe(
        `expected a duration such as 90, 90s, 15m, 3h or 2d, got "${text}"`,
      );
    },
  );
});
