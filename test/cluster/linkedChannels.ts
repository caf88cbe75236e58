import { Channel, type ChannelMessage, type Handlers } from '../../src/cluster/channel.js';

/**
 * Two channels joined as the primary and a worker are, within one process: each message is
 * structured-cloned (as `serialization: 'advanced'` does) and delivered on a later turn.
 */
export function linkedChannels(aHandlers: Handlers, bHandlers: Handlers) {
  let open = true;
  const ends: Channel[] = [];
  const peerTo = (index: number) => ({
    send(message: ChannelMessage, callback: (error: Error | null) => void) {
      if (!open) return callback(new Error('channel closed'));
      const copy = structuredClone(message);
      setImmediate(() => ends[index]!.receive(copy));
      callback(null);
    },
  });
  ends.push(new Channel(peerTo(1), aHandlers), new Channel(peerTo(0), bHandlers));
  return {
    a: ends[0]!,
    b: ends[1]!,
    /** The other side goes away: nothing more is delivered, sends fail. */
    cut() {
      open = false;
    },
  };
}
