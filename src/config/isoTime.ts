import { parseDuration } from './duration.js';

/** A date, or a date-time with `Z` or an offset: a zone-less time would depend on the host's clock zone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/** `Date.parse` turns 2026-02-30 into March 2nd; a typo in a date must not move it silently. */
function realDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * An ISO 8601 date (`2026-01-31`, midnight UTC) or date-time with `Z` or an
 * offset (`2026-01-31T18:00:00Z`, `2026-01-31T21:00+03:00`), as milliseconds
 * since the epoch; undefined for anything else, a zone-less time or a date
 * the calendar does not have included.
 */
export function isoTimeMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!ISO_DATE_TIME.test(trimmed) || !realDate(trimmed)) return undefined;
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? undefined : ms;
}

/** What {@link pointInTime} reads, for messages. */
export const POINT_IN_TIME_FORMS =
  'a duration back from now such as 90m, 24h or 7d, or a date or a date-time with Z or an offset such as 2026-01-31 or 2026-01-31T18:00:00Z';

/**
 * A statistics window's end: a duration back from `nowMs` (`24h`) or an
 * {@link isoTimeMs} time, as milliseconds since the epoch; undefined when it
 * is neither. A duration needs its unit here: `2026` is more likely a year
 * than 2026 seconds.
 */
export function pointInTime(text: string, nowMs: number): number | undefined {
  if (/^\s*\d+\s*$/.test(text)) return undefined;
  const back = parseDuration(text);
  return back === undefined ? isoTimeMs(text) : nowMs - back * 1000;
}
