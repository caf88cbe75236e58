import { z } from 'zod';

const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** Far enough for any lifetime, near enough that seconds stay exact integers. */
const MAX_DURATION_SECONDS = 100 * 365 * 86_400;

export const DURATION_MESSAGE = 'expected a duration such as 90, 90s, 15m, 3h or 2d';

/**
 * `90`, `90s`, `15m`, `3h`, `2d` (or a number of seconds) as whole seconds; undefined unless positive and at most 100
 * years.
 */
export function parseDuration(value: string | number): number | undefined {
  const match = /^(\d{1,10})([smhd]?)$/.exec(String(value).trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  return seconds > 0 && seconds <= MAX_DURATION_SECONDS ? seconds : undefined;
}

/** A config duration, kept as seconds: what `parseDuration` reads, as text or as a number of seconds. */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const seconds = parseDuration(value);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: `${DURATION_MESSAGE}, got "${value}"` });
    return z.NEVER;
  }
  return seconds;
});
