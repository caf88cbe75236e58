const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };
/** Far enough for any link or report, near enough that sums stay exact integers. */
const MAX_SECONDS = 100 * 365 * 86_400;

/** `90`, `90s`, `15m`, `3h`, `2d` as seconds; undefined for anything else, zero included. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,10})([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  return seconds > 0 && seconds <= MAX_SECONDS ? seconds : undefined;
}
