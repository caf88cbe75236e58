import type { Clock } from '../../src/clock.js';

/** A clock that moves only when told to; `advance` runs the timers that fall due, in order. */
export class ManualClock implements Clock {
  private timers = new Set<{ due: number; readonly ms: number; readonly task: () => void }>();

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
    for (;;) {
      const next = [...this.timers].filter((t) => t.due <= until).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.current = next.due;
      next.due += next.ms;
      next.task();
    }
    this.current = until;
  }
}
