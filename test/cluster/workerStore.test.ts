import { describe, expect, it } from 'vitest';
import { storeHub, type AskWorker } from '../../src/cluster/storeHub.js';
import { runLocally, workerStore } from '../../src/cluster/workerStore.js';
import { bindingKey, decisionKeyPrefix, digest } from '../../src/pipeline/cacheKey.js';
import { revocation } from '../../src/pipeline/revoke.js';
import type { DropEvent } from '../../src/store/types.js';
import { linkedChannels } from './linkedChannels.js';
import { memoryStores } from './memoryStores.js';

const ANSWER_MS = 500;
const memory = memoryStores();

/** The primary's store and `count` workers' stores, joined by channels as `serve --workers` joins them. */
function group(count = 2) {
  const shared = memory();
  const asks: AskWorker[] = [];
  const workers = Array.from({ length: count }, () => {
    const local = memory();
    const link = linkedChannels(
      storeHub(shared, () => asks),
      { storeLocal: (method: string, args: readonly unknown[]) => runLocally(local, method, args) },
    );
    asks.push((method, args) => link.a.call('storeLocal', [method, args], ANSWER_MS));
    const store = workerStore(local, (handler, method, args) => link.b.call(handler, [method, args], ANSWER_MS));
    return { store, local, link };
  });
  return { shared, workers, one: workers[0]!.store, two: workers[1]!.store };
}

const decisionKey = `${decisionKeyPrefix('default')}k1`;
const allow = { allow: true, decidedBy: 'backend:portal' };

describe('workerStore with the memory store shared through the primary', () => {
  it("drops an allow in every worker's own cache, and leaves a deny where it is", async () => {
    const { one, two, workers } = group();
    const otherKey = `${decisionKeyPrefix('default')}k2`;
    await two.set(decisionKey, allow, 60);
    await two.set(otherKey, { allow: false, decidedBy: 'backend:portal' }, 60);
    expect(await one.get(decisionKey)).toBeUndefined();
    await one.dropAllows!([decisionKey, otherKey]);
    expect(await workers[1]!.local.get(decisionKey)).toBeUndefined();
    expect(await workers[1]!.local.get(otherKey)).toMatchObject({ allow: false });
  });

  it('holds a token binding across workers: the first claim wins everywhere', async () => {
    const { one, two, shared } = group();
    const key = bindingKey('tok');
    expect(await one.claim(key, { ip: '203.0.113.7' }, 60)).toEqual({ ip: '203.0.113.7' });
    expect(await two.claim(key, { ip: '203.0.113.8' }, 60)).toEqual({ ip: '203.0.113.7' });
    expect(await two.get(key)).toEqual({ ip: '203.0.113.7' });
    expect(await shared.get(key)).toEqual({ ip: '203.0.113.7' });
  });

  it('counts sessions across workers against one limit', async () => {
    const { one, two } = group();
    const admission = { user: 'local:alice', limit: 1, idleTtlSeconds: 60, unique: false };
    expect(await one.admitSession({ ...admission, session: 's1' })).toBe(true);
    expect(await two.admitSession({ ...admission, session: 's2' })).toBe(false);
    expect(await two.admitSession({ ...admission, session: 's1' })).toBe(true);
  });

  it("keeps cached decisions in the worker's own memory: a hit never leaves it", async () => {
    const { one, two, shared, workers } = group();
    await one.set(decisionKey, allow, 60);
    expect(await one.get(decisionKey)).toEqual(allow);
    expect(await workers[0]!.local.get(decisionKey)).toEqual(allow);
    expect(await two.get(decisionKey)).toBeUndefined();
    expect(await shared.get(decisionKey)).toBeUndefined();
  });

  it("revoke drops the viewer's allows in every worker, its binding in the primary, and every worker hears it", async () => {
    const { one, two, workers } = group();
    const heard = workers.map(({ store }) => {
      const events: DropEvent[] = [];
      store.onDrop((event) => void events.push(event));
      return events;
    });
    for (const store of [one, two]) {
      await store.set(decisionKey, allow, 60);
      await store.noteAllow(decisionKey, [`t:${digest('tok')}`], 60);
    }
    await one.claim(bindingKey('tok'), { ip: '203.0.113.7' }, 60);

    expect(await revocation(two).revoke({ token: 'tok' })).toEqual({
      decisions: 1,
      bindings: 1,
      sessions: 0,
      complete: true,
    });
    expect(await one.get(decisionKey)).toBeUndefined();
    expect(await two.get(decisionKey)).toBeUndefined();
    expect(await one.get(bindingKey('tok'))).toBeUndefined();
    for (const events of heard) expect(events).toContainEqual(expect.objectContaining({ kind: 'keys' }));
  });

  it("flush counts and drops every worker's cached decisions", async () => {
    const { one, two } = group();
    await one.set(decisionKey, allow, 60);
    await two.set(`${decisionKeyPrefix('default')}k2`, allow, 60);
    await two.set(`${decisionKeyPrefix('other')}k3`, allow, 60);
    expect(await revocation(one).flush('default')).toEqual({ decisions: 2, complete: true });
    expect(await two.get(`${decisionKeyPrefix('other')}k3`)).toEqual(allow);
  });

  it('says a drop is incomplete when a worker does not answer', async () => {
    const { one, two, workers } = group();
    await two.set(decisionKey, allow, 60);
    workers[1]!.link.cut();
    expect(await revocation(one).flush()).toEqual({ decisions: 0, complete: false });
  });

  it("falls back on the worker's own memory when the primary does not answer", async () => {
    const { one, workers } = group();
    workers[0]!.link.cut();
    const key = bindingKey('tok');
    expect(await one.claim(key, { ip: '203.0.113.7' }, 60)).toEqual({ ip: '203.0.113.7' });
    expect(await workers[0]!.local.get(key)).toEqual({ ip: '203.0.113.7' });
    const admission = { user: 'local:bob', limit: 1, idleTtlSeconds: 60, unique: false };
    expect(await one.admitSession({ ...admission, session: 's1' })).toBe(true);
    expect(await one.admitSession({ ...admission, session: 's2' })).toBe(false);
    // A flush still empties this worker, but cannot say it reached the others.
    await one.set(decisionKey, allow, 60);
    expect(await revocation(one).flush()).toEqual({ decisions: 0, complete: false });
    expect(await one.get(decisionKey)).toBeUndefined();
  });

  it('runs in the primary only what the table places there', async () => {
    const hub = storeHub(memory(), () => []);
    expect(() => hub.store!('close' as never, [] as never)).toThrow('store method close is not shared');
    expect(() => hub.store!('constructor' as never, [] as never)).toThrow('is not shared');
    await expect(hub.storeEverywhere!('claim' as never, [] as never)).rejects.toThrow('is not run everywhere');
    expect(() => runLocally(memory(), 'claim', [])).toThrow('store method claim is not run here');
  });
});
