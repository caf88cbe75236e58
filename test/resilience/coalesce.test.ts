import { describe, expect, it } from 'vitest';
import { coalescer } from '../../src/resilience/coalesce.js';

/** A task that runs until `finish` or `fail` is called, counting its starts. */
function gate<T>() {
  let finish!: (value: T) => void;
  let fail!: (error: Error) => void;
  let starts = 0;
  const task = () => {
    starts += 1;
    return new Promise<T>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return { task, finish: (value: T) => finish(value), fail: (error: Error) => fail(error), starts: () => starts };
}

describe('coalescer', () => {
  it('runs one task for identical concurrent keys, and every caller gets its result', async () => {
    const once = coalescer<string>();
    const work = gate<string>();
    const waiting = Array.from({ length: 5 }, () => once('k', work.task));
    work.finish('answer');
    expect(await Promise.all(waiting)).toEqual(Array(5).fill('answer'));
    expect(work.starts()).toBe(1);
  });

  it('runs different keys separately', async () => {
    const once = coalescer<string>();
    const a = gate<string>();
    const b = gate<string>();
    const answers = Promise.all([once('a', a.task), once('b', b.task)]);
    a.finish('A');
    b.finish('B');
    expect(await answers).toEqual(['A', 'B']);
    expect([a.starts(), b.starts()]).toEqual([1, 1]);
  });

  it('runs the task again once the previous one has finished: results are shared, never cached', async () => {
    const once = coalescer<string>();
    const work = gate<string>();
    const first = once('k', work.task);
    work.finish('first');
    await first;
    const second = once('k', work.task);
    work.finish('second');
    expect(await second).toBe('second');
    expect(work.starts()).toBe(2);
  });

  it('hands a failure to every waiting caller, and the next call starts afresh', async () => {
    const once = coalescer<string>();
    const work = gate<string>();
    const waiting = [once('k', work.task), once('k', work.task)];
    work.fail(new Error('middleware down'));
    for (const caller of waiting) await expect(caller).rejects.toThrow('middleware down');
    const again = once('k', work.task);
    work.finish('back');
    expect(await again).toBe('back');
    expect(work.starts()).toBe(2);
  });
});
