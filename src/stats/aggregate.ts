import type { ConcurrencyPoint, SessionSpan, SpanRules, StatsGrouping, StatsRow, Window } from './types.js';

const DAY_MS = 86_400_000;
/** A chart needs no more points than a screen has pixels. */
const MAX_POINTS = 2000;

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

/** When the session's part inside the window begins (it is open in it unless that is after `openEnd`). */
const openStart = (span: SessionSpan, window: Window) => Math.max(span.firstSeen, window.since);
const openEnd = (span: SessionSpan, window: Window, rules: SpanRules) => Math.min(openUntil(span, rules), window.until);

/** How long of the window the session was watched: from its first check to its last (or its end). */
function watchedMs(span: SessionSpan, window: Window): number {
  const watched = Math.min(span.endedAt ?? span.lastSeen, window.until) - openStart(span, window);
  return Math.max(watched, 0);
}

/** Who watched: the user, else the viewer's IP, else the session itself. */
function viewerOf(span: SessionSpan): string {
  return span.user ?? span.ip ?? `session:${span.session}`;
}

/**
 * The highest number of sessions open at one instant; one ending when another starts counts as
 * overlapping. Starts and ends sorted apart and merged (at one instant the starts first): a sort
 * of numbers, not of 2 pairs per session, so that 100,000 sessions of one channel sum in a few ms.
 */
function peak(starts: readonly number[], ends: readonly number[]): number {
  const opened = Float64Array.from(starts).sort();
  const closed = Float64Array.from(ends).sort();
  let open = 0;
  let highest = 0;
  for (let s = 0, e = 0; s < opened.length; ) {
    if (opened[s]! <= closed[e]!) {
      open++;
      s++;
      highest = Math.max(highest, open);
    } else {
      open--;
      e++;
    }
  }
  return highest;
}

/**
 * A sum over spans fed one at a time (`add`), read once at the end (`finish`): the live sessions
 * are fed a slice per turn of the event loop, the database's rows all at once in the reader thread.
 */
export interface Summing<T> {
  add(span: SessionSpan): void;
  finish(): T;
}

interface Group {
  readonly viewers: Set<string>;
  sessions: number;
  watchedMs: number;
  readonly starts: number[];
  readonly ends: number[];
}

/** `localeCompare`'s order (a collator with the same defaults), without a collator made per comparison. */
const byKey = new Intl.Collator().compare;

/** Viewers, sessions, watch time and peak concurrency per group; days in order, the rest by watch time. */
export function groupedSum(grouping: StatsGrouping, window: Window, rules: SpanRules): Summing<StatsRow[]> {
  const groups = new Map<string, Group>();
  // Numbers pushed, no part built per session: a query sums up to every live session at once.
  const addPart = (span: SessionSpan, key: string, part: Window) => {
    const from = openStart(span, part);
    const to = openEnd(span, part, rules);
    if (to < from) return;
    let group = groups.get(key);
    if (!group) {
      group = { viewers: new Set(), sessions: 0, watchedMs: 0, starts: [], ends: [] };
      groups.set(key, group);
    }
    group.viewers.add(viewerOf(span));
    group.sessions++;
    group.watchedMs += watchedMs(span, part);
    group.starts.push(from);
    group.ends.push(to);
  };
  return {
    add(span) {
      if (grouping !== 'day') {
        const key =
          (grouping === 'channel' ? span.channel : grouping === 'user' ? viewerOf(span) : span.route) ?? '(unknown)';
        addPart(span, key, window);
        return;
      }
      // A session counts on every day it was open, each day with its part.
      const from = openStart(span, window);
      const to = openEnd(span, window, rules);
      if (to < from) return;
      for (let dayStart = Math.floor(from / DAY_MS) * DAY_MS; dayStart <= to; dayStart += DAY_MS) {
        const day = { since: Math.max(dayStart, from), until: Math.min(dayStart + DAY_MS - 1, to) };
        addPart(span, new Date(dayStart).toISOString().slice(0, 10), day);
      }
    },
    finish() {
      const rows = [...groups].map(([key, group]) => ({
        key,
        viewers: group.viewers.size,
        sessions: group.sessions,
        watchSeconds: Math.round(group.watchedMs / 1000),
        peakConcurrent: peak(group.starts, group.ends),
      }));
      return grouping === 'day'
        ? rows.sort((a, b) => byKey(a.key, b.key))
        : rows.sort((a, b) => b.watchSeconds - a.watchSeconds || b.sessions - a.sessions || byKey(a.key, b.key));
    },
  };
}

function sumOf<T>(spans: readonly SessionSpan[], sum: Summing<T>): T {
  for (const span of spans) sum.add(span);
  return sum.finish();
}

/** `groupedSum` of `spans`, in one go. */
export function aggregate(
  spans: readonly SessionSpan[],
  grouping: StatsGrouping,
  window: Window,
  rules: SpanRules,
): StatsRow[] {
  return sumOf(spans, groupedSum(grouping, window, rules));
}

/** How many of the sorted `values` are below `limit` (`strict`), or at most `limit`. */
function countBelow(values: Float64Array, limit: number, strict: boolean): number {
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
export function concurrencySum(window: Window, stepSeconds: number, rules: SpanRules): Summing<ConcurrencyPoint[]> {
  const starts: number[] = [];
  const ends: number[] = [];
  return {
    add(span) {
      const from = openStart(span, window);
      const to = openEnd(span, window, rules);
      if (to < from) return;
      starts.push(from);
      ends.push(to);
    },
    finish() {
      const opened = Float64Array.from(starts).sort();
      const closed = Float64Array.from(ends).sort();
      // A point at `since` and one every step after it, `until` included: MAX_POINTS points are MAX_POINTS - 1 steps.
      const step = Math.max(stepSeconds * 1000, Math.ceil((window.until - window.since) / (MAX_POINTS - 1)), 1000);
      const points: ConcurrencyPoint[] = [];
      for (let at = window.since; at <= window.until; at += step) {
        // Open at `at`: started at or before it, not ended before it.
        points.push({
          at: new Date(at).toISOString(),
          viewers: countBelow(opened, at, false) - countBelow(closed, at, true),
        });
      }
      return points;
    },
  };
}

/** `concurrencySum` of `spans`, in one go. */
export function concurrency(
  spans: readonly SessionSpan[],
  window: Window,
  stepSeconds: number,
  rules: SpanRules,
): ConcurrencyPoint[] {
  return sumOf(spans, concurrencySum(window, stepSeconds, rules));
}
