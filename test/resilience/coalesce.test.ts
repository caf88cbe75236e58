import { describe, expect, it } from 'vitest';
import { coalescer } from '../../src/resilience/coalesce.js';

/** A task whose end the test decides, counting how often it was started. */
function controlled<T>() {
  let started = 0;
  let finish: { resolve(value: T): void; reject(error: unknown): void } | undefined;
  const task = () => {
    started++;
    return new Promise<T>((resolve, reject) => (finish = { resolve, reject }));
  };
  return { task, started: () => started, finish: () => finish! };
}

describe('coalescer', () => {
  it('runs one task per key while it is running; every caller gets its result', async () => {
    const once = coalescer<string>();
    const work = controlled<string>();
    const callers = [once('k', work.task), once('k', work.task), once('k', work.task)];
    expect(work.started()).toBe(1);
    work.finish().resolve('answer');
    await expect(Promise.all(callers)).resolves.toEqual(['answer', 'answer', 'answer']);
  });

  it('keeps different keys apart', () => {
    const once = coalescer<string>();
    const work = controlled<string>();
    void once('a', work.task);
    void once('b', work.task);
    expect(work.started()).toBe(2);
  });

  it('forgets a key once its task has answered: the next caller starts afresh', async () => {
    const once = coalescer<string>();
    const work = controlled<string>();
    const first = once('k', work.task);
    work.finish().resolve('first');
    await first;
    const second = once('k', work.task);
    expect(work.started()).toBe(2);
    work.finish().resolve('second');
    await expect(second).resolves.toBe('second');
  });

  it('passes a failure to every waiting caller, and forgets the key after it too', async () => {
    const once = coalescer<string>();
    const work = controlled<string>();
    const callers = [once('k', work.task), once('k', work.task)];
    work.finish().reject(new Error('middleware gone'));
    for (const caller of callers) await expect(caller).rejects.toThrow('middleware gone');
    void once('k', work.task);
    expect(work.started()).toBe(2);
  });
});
