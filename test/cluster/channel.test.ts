import { describe, expect, it } from 'vitest';
import { ChannelError } from '../../src/cluster/channel.js';
import { linkedChannels } from './linkedChannels.js';

describe('Channel', () => {
  it("answers a call with the handler's value, and a tell with nothing", async () => {
    const told: unknown[] = [];
    const { a } = linkedChannels(
      {},
      { add: (x: number, y: number) => x + y, note: (value: unknown) => void told.push(value) },
    );
    expect(await a.call('add', [2, 3], 1000)).toBe(5);
    a.tell('note', [{ at: new Map([['k', 1]]) }]);
    await expect.poll(() => told).toEqual([{ at: new Map([['k', 1]]) }]);
  });

  it("rejects with the handler's error, and names an unknown handler", async () => {
    const { a } = linkedChannels(
      {},
      {
        fails: async () => {
          throw new Error('store is closed');
        },
      },
    );
    await expect(a.call('fails', [], 1000)).rejects.toThrow('store is closed');
    await expect(a.call('nothing', [], 1000)).rejects.toThrow('no handler for nothing');
  });

  it('rejects a call the peer never answers once its time is up', async () => {
    const { a } = linkedChannels({}, { never: () => new Promise(() => undefined) });
    await expect(a.call('never', [], 20)).rejects.toBeInstanceOf(ChannelError);
  });

  it('fails at once when the peer is gone, and on close() for calls still waiting', async () => {
    const link = linkedChannels({}, { slow: () => new Promise(() => undefined) });
    const waiting = link.a.call('slow', [], 60_000);
    link.a.close('the worker exited');
    await expect(waiting).rejects.toThrow('the worker exited');
    link.cut();
    await expect(link.a.call('slow', [], 60_000)).rejects.toThrow('channel closed');
    expect(() => link.a.tell('slow', [])).not.toThrow();
  });

  it('fails a call whose arguments cannot be sent, instead of throwing', async () => {
    const { a } = linkedChannels({}, { take: () => 1 });
    await expect(a.call('take', [() => 1], 1000)).rejects.toBeInstanceOf(ChannelError);
  });

  it('leaves messages that are not its own to others (prom-client shares the channel)', () => {
    const { a } = linkedChannels({}, {});
    expect(a.receive({ type: 'prom-client:getMetricsReq', requestId: 1 })).toBe(false);
    expect(a.receive('text')).toBe(false);
  });
});
