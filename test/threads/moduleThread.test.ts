import { describe, expect, it } from 'vitest';
import { gateThread } from './support/gateThread.js';

describe('ModuleThread', () => {
  it('answers in the thread, with parts ahead of the answer, and rejects with the thread’s error message', async () => {
    const thread = gateThread(new SharedArrayBuffer(8));
    try {
      const parts: number[] = [];
      expect(await thread.ask({ op: 'parts' }, (part) => parts.push(part))).toBe('parts sent');
      expect(parts).toEqual([1, 2]);
      await expect(thread.ask({ op: 'fail' })).rejects.toThrow('failed as asked');
    } finally {
      await thread.close();
    }
  });

  it('closes once the requests already made are answered, after the thread let go (stop)', async () => {
    const flags = new SharedArrayBuffer(8);
    const thread = gateThread(flags);
    const asked = thread.ask({ op: 'answerAfter', ms: 50 });
    await thread.close();
    expect(await asked).toBe('answered after 50 ms');
    expect(new Int32Array(flags)[0]).toBe(1);
  });

  it('tells the first request why a thread cannot start, and the next request starts a new one', async () => {
    const flags = new SharedArrayBuffer(8);
    const view = new Int32Array(flags);
    Atomics.store(view, 1, 1);
    const thread = gateThread(flags);
    try {
      await expect(thread.ask({ op: 'parts' })).rejects.toThrow('cannot start: told not to');
      Atomics.store(view, 1, 0);
      // Asked at once: the ended thread's exit must not reject the new thread's request.
      expect(await thread.ask({ op: 'parts' })).toBe('parts sent');
    } finally {
      await thread.close();
    }
  });
});
