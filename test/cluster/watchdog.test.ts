import { describe, expect, it } from 'vitest';
import { UNANSWERED_TICKS, WATCH_EVERY_MS, watchWorkers, type Watched } from '../../src/cluster/watchdog.js';
import { ManualClock } from '../support/manualClock.js';

/** A worker whose pings the test answers (or not) by hand. */
class FakeWorker implements Watched {
  readonly key = {};
  pings = 0;
  wedgedAfter: number[] = [];
  private pending: (() => void)[] = [];
  private rejections: (() => void)[] = [];

  constructor(private readonly answersAtOnce: boolean) {}

  ping(): Promise<unknown> {
    this.pings++;
    if (this.answersAtOnce) return Promise.resolve(true);
    return new Promise((resolve, reject) => {
      this.pending.push(() => resolve(true));
      this.rejections.push(() => reject(new Error('no answer')));
    });
  }

  answer(): void {
    for (const resolve of this.pending.splice(0)) resolve();
  }

  giveUp(): void {
    for (const reject of this.rejections.splice(0)) reject();
  }

  wedged(silentMs: number): void {
    this.wedgedAfter.push(silentMs);
  }
}

/** Lets the pings' promise callbacks run, as the event loop does between ticks. */
async function settle(): Promise<void> {
  await Promise.resolve();
  await Promise.resolve();
}

async function tick(clock: ManualClock, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    await settle();
    clock.advance(WATCH_EVERY_MS);
  }
  await settle();
}

describe('watchWorkers', () => {
  it('asks a worker that answers once a tick, and never names it', async () => {
    const clock = new ManualClock();
    const worker = new FakeWorker(true);
    watchWorkers(() => [worker], clock);
    await tick(clock, 10);
    expect(worker.pings).toBe(10);
    expect(worker.wedgedAfter).toEqual([]);
  });

  it('names a silent worker once, after its ping went unanswered on three ticks in a row, and asks it no more meanwhile', async () => {
    const clock = new ManualClock();
    const worker = new FakeWorker(false);
    watchWorkers(() => [worker], clock);
    await tick(clock);
    expect(worker.pings).toBe(1);
    await tick(clock, UNANSWERED_TICKS - 1);
    expect(worker.wedgedAfter).toEqual([]);
    await tick(clock);
    expect(worker.wedgedAfter).toEqual([UNANSWERED_TICKS * WATCH_EVERY_MS]);
    await tick(clock, 5);
    expect(worker.wedgedAfter).toHaveLength(1);
    expect(worker.pings).toBe(1);
  });

  it('forgives a late answer: a group paused and resumed finds one ping late, not a wedged worker', async () => {
    const clock = new ManualClock();
    const worker = new FakeWorker(false);
    watchWorkers(() => [worker], clock);
    await tick(clock, UNANSWERED_TICKS);
    worker.answer();
    await tick(clock, UNANSWERED_TICKS);
    worker.answer();
    await tick(clock, UNANSWERED_TICKS);
    expect(worker.wedgedAfter).toEqual([]);
    expect(worker.pings).toBe(3);
  });

  it('does not take a ping the channel gave up on for an answer', async () => {
    const clock = new ManualClock();
    const worker = new FakeWorker(false);
    watchWorkers(() => [worker], clock);
    await tick(clock);
    worker.giveUp();
    await tick(clock, UNANSWERED_TICKS);
    expect(worker.wedgedAfter).toHaveLength(1);
  });

  it('watches each worker on its own, a restarted one afresh, and stops when told', async () => {
    const clock = new ManualClock();
    const answering = new FakeWorker(true);
    let silent = new FakeWorker(false);
    const stop = watchWorkers(() => [answering, silent], clock);
    await tick(clock, UNANSWERED_TICKS + 1);
    expect(silent.wedgedAfter).toHaveLength(1);
    expect(answering.wedgedAfter).toEqual([]);
    silent = new FakeWorker(false);
    await tick(clock, UNANSWERED_TICKS);
    expect(silent.wedgedAfter).toEqual([]);
    await tick(clock);
    expect(silent.wedgedAfter).toHaveLength(1);
    stop();
    const pings = answering.pings;
    await tick(clock, 3);
    expect(answering.pings).toBe(pings);
  });
});
