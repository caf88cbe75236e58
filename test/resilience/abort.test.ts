import { describe, expect, it } from 'vitest';
import { childAbort } from '../../src/resilience/abort.js';

describe('childAbort', () => {
  it('aborts with its parent, with the parent’s reason', () => {
    const parent = new AbortController();
    const child = childAbort(parent.signal);
    const reason = new Error('budget spent');
    parent.abort(reason);
    expect(child.signal.aborted).toBe(true);
    expect(child.signal.reason).toBe(reason);
  });

  it('starts aborted under a parent already aborted', () => {
    const parent = new AbortController();
    parent.abort('gone');
    expect(childAbort(parent.signal).signal.reason).toBe('gone');
  });

  it('aborts on its own without touching the parent or its siblings', () => {
    const parent = new AbortController();
    const first = childAbort(parent.signal);
    const second = childAbort(parent.signal);
    first.abort();
    expect(first.signal.aborted).toBe(true);
    expect((first.signal.reason as DOMException).name).toBe('AbortError');
    expect(parent.signal.aborted).toBe(false);
    expect(second.signal.aborted).toBe(false);
  });

  it('gives every child aborted on its own one shared reason (no stack trace per abort)', () => {
    const parent = new AbortController();
    const first = childAbort(parent.signal);
    const second = childAbort(parent.signal);
    first.abort();
    second.abort();
    expect(first.signal.reason).toBe(second.signal.reason);
  });

  it('once released no longer follows the parent', () => {
    const parent = new AbortController();
    const child = childAbort(parent.signal);
    child.release();
    parent.abort();
    expect(child.signal.aborted).toBe(false);
  });
});
