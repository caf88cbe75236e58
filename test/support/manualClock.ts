import type { Clock } from '../../src/clock.js';

interface Timer {
  due: number;
  readonly ms: number;
  readonly task: () => void;
}

/** A clock that moves only when told to; `advance` runs the timers that fall due, in order. */
export class ManualClock implements Clock {
  private timers = new Set<Timer>();

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  every(ms: number, task: () => void): () => void {
    const timer = { due: this.current + ms, ms, task };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  advance(ms: number): void {
    const until = this.current + ms;
    for (let next = this.nextDue(until); next; next = this.nextDue(until)) {
      this.current = next.due;
      next.due += next.ms;
      next.task();
    }
    this.current = until;
  }

  /**
   * The earliest timer due by `until` (of timers due together, the first set): a scan rather than a
   * sorted copy per tick, since a test that advances 30 days runs a one-second timer 2.6 million times.
   */
  private nextDue(until: number): Timer | undefined {
    let earliest: Timer | undefined;
    for (const timer of this.timers) {
      if (timer.due <= until && (earliest === undefined || timer.due < earliest.due)) earliest = timer;
    }
    return earliest;
  }
}
