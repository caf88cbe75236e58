import { describe, expect, it } from 'vitest';
import { BatchedStdout, type LineSink, MAX_UNREAD_BYTES } from '../src/stdoutBatch.js';

/** A reader that takes output or stops taking it, as a pipe does. */
function sink() {
  const written: string[] = [];
  const target: LineSink & { writableLength: number } = {
    writableLength: 0,
    write: (output: Uint8Array | string) => written.push(Buffer.from(output).toString()),
  };
  return { target, written };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('BatchedStdout', () => {
  it('writes the lines of one turn in one write, in order', async () => {
    const { target, written } = sink();
    const out = new BatchedStdout(target);
    out.line('a\n');
    out.ascii('b');
    out.line('c\n');
    await nextTurn();
    expect(written).toEqual(['a\nbc\n']);
  });

  it('writes whole numbers as String does, and pieces made once as they are', async () => {
    const { target, written } = sink();
    const out = new BatchedStdout(target);
    const numbers = [0, 7, 10, 99, 200, 403, 1000, 123456789, 999_999_999_999, 10 ** 15 - 1];
    for (const number of numbers) {
      out.digits(number);
      out.chunk(Buffer.from(' '));
    }
    await nextTurn();
    expect(written).toEqual([`${numbers.join(' ')} `]);
  });

  it('drops and counts lines while more than its bound waits for the reader, and says so once it reads again', async () => {
    const { target, written } = sink();
    const out = new BatchedStdout(target);
    const resumed: number[] = [];
    out.onResumed = (dropped) => resumed.push(dropped);
    target.writableLength = MAX_UNREAD_BYTES + 1;
    out.line('one\n');
    out.ascii('two\n');
    await nextTurn();
    out.line('three\n');
    await nextTurn();
    expect(written).toEqual([]);
    expect(out.dropped()).toBe(3);
    expect(resumed).toEqual([]);
    target.writableLength = 0;
    out.line('four\n');
    await nextTurn();
    expect(written).toEqual(['four\n']);
    expect(resumed).toEqual([3]);
    expect(out.dropped()).toBe(3);
  });
});
