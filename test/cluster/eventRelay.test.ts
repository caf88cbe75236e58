import { describe, expect, it } from 'vitest';
import { relayObserver, replayInto, type RelayedEvents } from '../../src/cluster/eventRelay.js';
import type { CheckAnswered, SessionEnded } from '../../src/observe.js';

const answered = (n: number) =>
  ({
    route: 'default',
    status: 200,
    n,
    viewer: { session: String(n) },
    decision: { allow: true },
  }) as unknown as CheckAnswered;
const ended = {
  route: 'default',
  protocol: 'srs',
  caller: '127.0.0.1',
  session: '7',
  reason: 'on_stop',
} as SessionEnded;

describe('relayObserver', () => {
  it('sends what one turn of the event loop heard as one batch, in order', async () => {
    const batches: RelayedEvents[] = [];
    const relay = relayObserver((batch) => batches.push(batch));
    relay.checkAnswered!(answered(1));
    relay.sessionEnded!(ended);
    relay.checkAnswered!(answered(2));
    expect(batches).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([
      [
        ['checkAnswered', answered(1)],
        ['sessionEnded', ended],
        ['checkAnswered', answered(2)],
      ],
    ]);
    relay.checkAnswered!(answered(3));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toHaveLength(2);
    // A check that names no session counts in none: nothing is sent for it.
    relay.checkAnswered!({ ...answered(4), viewer: { dialect: 'cesbo', rawQuery: '' } } as CheckAnswered);
    relay.checkAnswered!({ ...answered(5), decision: undefined });
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toHaveLength(2);
  });
});

describe('replayInto', () => {
  it('tells the observer every event, past one that throws', () => {
    const seen: unknown[] = [];
    const observer = {
      checkAnswered: (event: CheckAnswered) => {
        if ((event as unknown as { n: number }).n === 1) throw new Error('observer bug');
        seen.push(event);
      },
      sessionEnded: (event: SessionEnded) => void seen.push(event),
    };
    replayInto(observer, [
      ['checkAnswered', answered(1)],
      ['checkAnswered', answered(2)],
      ['sessionEnded', ended],
    ]);
    expect(seen).toEqual([answered(2), ended]);
    expect(() => replayInto(undefined, [['checkAnswered', answered(1)]])).not.toThrow();
  });
});
