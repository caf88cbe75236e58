import type { ConcurrencyPoint, SessionSpan, StatsGrouping, StatsRow } from './types.js';

const DAY_MS = 86_400_000;
/** A chart needs no more points than a screen has pixels. */
const MAX_POINTS = 2000;

export interface Window {
  readonly since: number;
  readonly until: number;
}

/** A session's span clipped to the window, or undefined when it does not overlap. */
function clip(span: SessionSpan, { since, until }: Window): [number, number] | undefined {
  const start = Math.max(span.firstSeen, since);
  const end = Math.min(span.endedAt ?? span.lastSeen, until);
  return end < start ? undefined : [start, end];
}

/** Who watched: the user, else the viewer's IP, else the session itself. */
function viewerOf(span: SessionSpan): string {
  return span.user ?? span.ip ?? `session:${span.session}`;
}

/** The highest number of spans open at one instant; a span ending when another starts counts as overlapping. */
function peak(intervals: readonly [number, number][]): number {
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

/** The (group, clipped span) pairs of one span: a session counts on every day it was watched. */
function* grouped(span: SessionSpan, by: StatsGrouping, window: Window): Generator<[string, [number, number]]> {
  const clipped = clip(span, window);
  if (!clipped) return;
  if (by !== 'day') {
    const key = by === 'channel' ? span.channel : by === 'user' ? viewerOf(span) : span.route;
    yield [key ?? '(unknown)', clipped];
    return;
  }
  for (let dayStart = Math.floor(clipped[0] / DAY_MS) * DAY_MS; dayStart <= clipped[1]; dayStart += DAY_MS) {
    const part = clip(
      { ...span, firstSeen: clipped[0], lastSeen: clipped[1], endedAt: clipped[1] },
      { since: dayStart, until: dayStart + DAY_MS - 1 },
    );
    if (part) yield [new Date(dayStart).toISOString().slice(0, 10), part];
  }
}

/** Viewers, sessions, watch time and peak concurrency per group; days in order, the rest by watch time. */
export function aggregate(spans: readonly SessionSpan[], by: StatsGrouping, window: Window): StatsRow[] {
  const groups = new Map<string, { viewers: Set<string>; intervals: [number, number][] }>();
  for (const span of spans) {
    for (const [key, interval] of grouped(span, by, window)) {
      let group = groups.get(key);
      if (!group) {
        group = { viewers: new Set(), intervals: [] };
        groups.set(key, group);
      }
      group.viewers.add(viewerOf(span));
      group.intervals.push(interval);
    }
  }
  const rows = [...groups].map(([key, { viewers, intervals }]) => ({
    key,
    viewers: viewers.size,
    sessions: intervals.length,
    watchSeconds: Math.round(intervals.reduce((sum, [start, end]) => sum + (end - start), 0) / 1000),
    peakConcurrent: peak(intervals),
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
export function concurrency(spans: readonly SessionSpan[], window: Window, stepSeconds: number): ConcurrencyPoint[] {
  const intervals = spans.map((span) => clip(span, window)).filter((interval) => interval !== undefined);
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
