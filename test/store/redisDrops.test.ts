import { describe, expect, it, vi } from 'vitest';
import { DROP_CHANNEL } from '../../src/store/redisDrops.js';
import type { DropEvent } from '../../src/store/types.js';
import { startRedis } from '../support/redisServer.js';
import { admission, connected, decision, EVENTUALLY, redisPerFile } from '../support/stores.js';

const { stores, shared } = redisPerFile();

/** Two instances on one Redis, connected, each listening for drops. */
async function twoInstances() {
  const first = stores.open(shared.server.url).store;
  const second = stores.open(shared.server.url).store;
  await Promise.all([connected(first), connected(second)]);
  const heard = { first: [] as DropEvent[], second: [] as DropEvent[] };
  first.onDrop((event) => heard.first.push(event));
  second.onDrop((event) => heard.second.push(event));
  // Subscribing is asynchronous: a message round trip shows both are listening.
  await vi.waitFor(
    async () => expect(await shared.inspector.pubsub('NUMSUB', DROP_CHANNEL)).toEqual([DROP_CHANNEL, 2]),
    EVENTUALLY,
  );
  return { first, second, heard };
}

describe('redis store notes of cached allows', () => {
  it('finds an allow by any of its identities from any instance, each set living as long as its longest-lived allow', async () => {
    const { first, second } = await twoInstances();
    await first.noteAllow('d:default:a', ['t:x', 'u:1042'], 60);
    await first.noteAllow('d:default:b', ['t:y', 'u:1042'], 10);
    expect(await second.notedUnder('t:x')).toEqual([{ key: 'd:default:a', identities: ['t:x', 'u:1042'] }]);
    expect(new Set((await second.notedUnder('u:1042'))!.map((n) => n.key))).toEqual(
      new Set(['d:default:a', 'd:default:b']),
    );
    expect(await shared.inspector.pttl('iab:i:u:1042')).toBeGreaterThan(50_000);
    await first.noteAllow('d:default:c', ['u:1042'], 120);
    expect(await shared.inspector.pttl('iab:i:u:1042')).toBeGreaterThan(110_000);
    expect(await second.notedUnder('t:never')).toEqual([]);
    // What is not a note a bridge wrote is left out.
    await shared.inspector.sadd('iab:i:t:x', 'not json', '[1]', '{}');
    expect(await second.notedUnder('t:x')).toEqual([{ key: 'd:default:a', identities: ['t:x', 'u:1042'] }]);
  });
});

describe('redis store drops', () => {
  it('drop: removes keys and session counts from Redis, says which held something, and every instance hears it once', async () => {
    const { first, second, heard } = await twoInstances();
    await first.set('d:default:a', decision, 60);
    await first.claim('b:t', { ip: '203.0.113.1' }, 60);
    await first.admitSession(admission('s1'));
    await second.admitSession(admission('s2'));
    const dropped = await second.drop({ keys: ['d:default:a', 'b:t', 'd:default:never'], sessionsOf: ['alice'] });
    expect(dropped).toEqual({ keys: ['d:default:a', 'b:t'], sessions: 2 });
    expect(await shared.inspector.keys('*')).toEqual([]);
    const event = { kind: 'keys', keys: ['d:default:a', 'b:t', 'd:default:never'], sessionsOf: ['alice'] };
    await vi.waitFor(() => expect(heard.first).toEqual([event]), EVENTUALLY);
    expect(heard.second).toEqual([event]);
  });

  it("drop reaches the other instance's own memory: a binding it kept there no longer holds", async () => {
    const { first, second, heard } = await twoInstances();
    await first.claim('b:t', { ip: '203.0.113.1' }, 60);
    await second.drop({ keys: ['b:t'], sessionsOf: [] });
    await vi.waitFor(() => expect(heard.first).toHaveLength(1), EVENTUALLY);
    // Neither Redis nor the first instance's memory holds it: another IP may claim the token.
    expect(await first.get('b:t')).toBeUndefined();
    expect(await first.claim('b:t', { ip: '198.51.100.2' }, 60)).toEqual({ ip: '198.51.100.2' });
  });

  it('dropPrefix: removes exactly the keys under it, however many, and every instance hears it', async () => {
    const { first, second, heard } = await twoInstances();
    const many = Array.from({ length: 2500 }, (_, i) => `d:default:${i}`);
    await Promise.all(many.map((key) => first.set(key, decision, 60)));
    await first.set('d:defaults:x', decision, 60);
    await first.set('d:other:x', decision, 60);
    await first.claim('b:t', { ip: '203.0.113.1' }, 60);
    expect(await second.dropPrefix('d:default:')).toBe(2500);
    expect((await shared.inspector.keys('*')).sort()).toEqual(['iab:b:t', 'iab:d:defaults:x', 'iab:d:other:x']);
    await vi.waitFor(() => expect(heard.first).toEqual([{ kind: 'prefix', prefix: 'd:default:' }]), EVENTUALLY);
    expect(await first.dropPrefix('d:')).toBe(2);
  });

  it('ignores what is not a drop on its channel', async () => {
    const { first, heard } = await twoInstances();
    for (const text of [
      'not json',
      '{}',
      '{"from":"x","event":{"kind":"keys","keys":[1]}}',
      '{"from":"x","event":{"kind":"other"}}',
    ]) {
      await shared.inspector.publish(DROP_CHANNEL, text);
    }
    await shared.inspector.publish(
      DROP_CHANNEL,
      JSON.stringify({ from: 'someone', event: { kind: 'prefix', prefix: 'd:x:' } }),
    );
    await vi.waitFor(() => expect(heard.first).toEqual([{ kind: 'prefix', prefix: 'd:x:' }]), EVENTUALLY);
    expect(first.health().ok).toBe(true);
  });

  it('answers undefined (not complete) when Redis is down, and never rejects', async () => {
    const gone = await startRedis();
    const { store } = stores.open(gone.url);
    await connected(store);
    await gone.kill();
    await vi.waitFor(() => expect(store.health().ok).toBe(false), EVENTUALLY);
    expect(await store.drop({ keys: ['d:default:a'], sessionsOf: [] })).toBeUndefined();
    expect(await store.dropPrefix('d:')).toBeUndefined();
    expect(await store.notedUnder('t:x')).toBeUndefined();
  });
});
