import type { ConcurrencyPoint, SessionSpan, StatsGrouping, StatsRow } from './types.js';

const DAY_MS = 86_400_000;
/** A chart needs no more points than a screen has pixels. */
const MAX_POINTS = 2000;

export interface Window {
  readonly since: number;
  readonly until: number;
}

/** How the view reads spans: a session that ends idle, or has not ended, stays open this long after its last check. */
export interface SpanRules {
  readonly idleTtlMs: number;
}

type Interval = [number, number];

/** What of a session falls inside one window: the part it was open, and how long of that it was watched. */
interface SpanPart {
  readonly open: Interval;
  readonly watchedMs: number;
}

function overlap([start, end]: Interval, { since, until }: Window): Interval | undefined {
  const from = Math.max(start, since);
  const to = Math.min(end, until);
  return to < from ? undefined : [from, to];
}

/**
 * When a session stops counting as open. A session that the server closed, a
 * revoke or a limit ended, ended then. One the idle sweep ended (at its last
 * check), or one still live, was open until `idleTtl` after its last check:
 * that is how connection limits and the live session list count it, and a
 * viewer Astra checked once is watching all that while.
 */
function openUntil(span: SessionSpan, rules: SpanRules): number {
  return span.endedAt !== undefined && span.endReason !== 'idle' ? span.endedAt : span.lastSeen + rules.idleTtlMs;
}

/** A session's part inside the window, or undefined when it was not open in it. Watched: from the first check to the last (or its end). */
function partIn(span: SessionSpan, window: Window, rules: SpanRules): SpanPart | undefined {
  const open = overlap([span.firstSeen, openUntil(span, rules)], window);
  if (!open) return undefined;
  const watched = overlap([span.firstSeen, span.endedAt ?? span.lastSeen], window);
  return { open, watchedMs: watched ? watched[1] - watched[0] : 0 };
}

/** Who watched: the user, else the viewer's IP, else the session itself. */
function viewerOf(span: SessionSpan): string {
  return span.user ?? span.ip ?? `session:${span.session}`;
}

/** The highest number of sessions open at one instant; one ending when another starts counts as overlapping. */
function peak(intervals: readonly Interval[]): number {
  const events = intervals.flatMap(([start, end]) => [[start, 1] as const, [end, -1] as const]);
  events.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let open = 0;
  let highest = 0;
  for (const [, delta] of events) {
    open += delta;
    highest = Math.max(highest, open);
  }
  return highest;
}

/** The (group, part) pairs of one session: a session counts on every day it was open, each day with its part. */
function* grouped(
  span: SessionSpan,
  by: StatsGrouping,
  window: Window,
  rules: SpanRules,
): Generator<[string, SpanPart]> {
  const whole = partIn(span, window, rules);
  if (!whole) return;
  if (by !== 'day') {
    const key = by === 'channel' ? span.channel : by === 'user' ? viewerOf(span) : span.route;
    yield [key ?? '(unknown)', whole];
    return;
  }
  const [from, to] = whole.open;
  for (let dayStart = Math.floor(from / DAY_MS) * DAY_MS; dayStart <= to; dayStart += DAY_MS) {
    const day = { since: Math.max(dayStart, from), until: Math.min(dayStart + DAY_MS - 1, to) };
    const part = partIn(span, day, rules);
    if (part) yield [new Date(dayStart).toISOString().slice(0, 10), part];
  }
}

/** Viewers, sessions, watch time and peak concurrency per group; days in order, the rest by watch time. */
export function aggregate(
  spans: readonly SessionSpan[],
  by: StatsGrouping,
  window: Window,
  rules: SpanRules,
): StatsRow[] {
  const groups = new Map<string, { viewers: Set<string>; parts: SpanPart[] }>();
  for (const span of spans) {
    for (const [key, part] of grouped(span, by, window, rules)) {
      let group = groups.get(key);
      if (!group) {
        group = { viewers: new Set(), parts: [] };
        groups.set(key, group);
      }
      group.viewers.add(viewerOf(span));
      group.parts.push(part);
    }
  }
  const rows = [...groups].map(([key, { viewers, parts }]) => ({
    key,
    viewers: viewers.size,
    sessions: parts.length,
    watchSeconds: Math.round(parts.reduce((sum, part) => sum + part.watchedMs, 0) / 1000),
    peakConcurrent: peak(parts.map((part) => part.open)),
  }));
  return by === 'day'
    ? rows.sort((a, b) => a.key.localeCompare(b.key))
    : rows.sort((a, b) => b.watchSeconds - a.watchSeconds || b.sessions - a.sessions || a.key.localeCompare(b.key));
}

/** How many of the sorted `values` are below `limit` (`strict`), or at most `limit`. */
function countBelow(values: readonly number[], limit: number, strict: boolean): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (strict ? values[mid]! < limit : values[mid]! <= limit) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Sessions open at each step from `since` to `until` (at most 2000 points: the step widens past that). */
export function concurrency(
  spans: readonly SessionSpan[],
  window: Window,
  stepSeconds: number,
  rules: SpanRules,
): ConcurrencyPoint[] {
  const intervals = spans.flatMap((span) => {
    const part = partIn(span, window, rules);
    return part ? [part.open] : [];
  });
  const starts = intervals.map(([start]) => start).sort((a, b) => a - b);
  const ends = intervals.map(([, end]) => end).sort((a, b) => a - b);
  const step = Math.max(stepSeconds * 1000, Math.ceil((window.until - window.since) / MAX_POINTS), 1000);
  const points: ConcurrencyPoint[] = [];
  for (let at = window.since; at <= window.until; at += step) {
    // Open at `at`: started at or before it, not ended before it.
    points.push({
      at: new Date(at).toISOString(),
      viewers: countBelow(starts, at, false) - countBelow(ends, at, true),
    });
  }
  return points;
}
