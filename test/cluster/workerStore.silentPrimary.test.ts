import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Handlers } from '../../src/cluster/channel.js';
import { storeHub } from '../../src/cluster/storeHub.js';
import { workerStore } from '../../src/cluster/workerStore.js';
import { bindingKey } from '../../src/pipeline/cacheKey.js';
import { revocation } from '../../src/pipeline/revoke.js';
import { ManualClock } from '../support/manualClock.js';
import { linkedChannels } from './linkedChannels.js';
import { memoryStores } from './memoryStores.js';

// A primary that stops answering (SIGSTOP, a wedged loop) costs a worker one wait: from then on its
// own memory answers at once, and only one probe at a time asks the primary whether it is back.

const ANSWER_MS = 200;
/** Health dates the silence by the injected clock. */
const CLOCK = new ManualClock(Date.UTC(2026, 0, 1));
const memory = memoryStores();
afterEach(() => {
  vi.useRealTimers();
});

/**
 * One worker joined to a primary that can be stopped: while stopped, what it is sent waits, and is
 * run (and answered) once it goes on, as a process under SIGSTOP would; `received` counts the calls.
 */
function stoppablePrimary() {
  const shared = memory();
  const hub = storeHub(shared, () => []);
  const held: (() => void)[] = [];
  let stopped = false;
  const received: string[] = [];
  const run =
    (name: 'store' | 'storeEverywhere') =>
    (method: string, args: readonly unknown[]): unknown => {
      received.push(method);
      const answer = () => hub[name]!(method as never, args as never);
      return stopped ? new Promise((resolve) => held.push(() => resolve(answer()))) : answer();
    };
  const handlers: Handlers = { store: run('store'), storeEverywhere: run('storeEverywhere') };
  const local = memory();
  const link = linkedChannels(handlers, {});
  const store = workerStore(local, (handler, method, args) => link.b.call(handler, [method, args], ANSWER_MS), CLOCK);
  return {
    shared,
    local,
    store,
    received,
    stop: () => (stopped = true),
    goOn() {
      stopped = false;
      for (const answer of held.splice(0)) answer();
    },
  };
}

const admission = (session: string) => ({ user: 'local:alice', session, limit: 1, idleTtlSeconds: 60, unique: false });

describe('workerStore when the primary stops answering', () => {
  it("keeps bindings and limits in the worker's memory at once after the first unanswered call, until a probe is answered", async () => {
    const primary = stoppablePrimary();
    const { store } = primary;
    const key = bindingKey('tok');
    expect(store.health().ok).toBe(true);

    primary.stop();
    // The one wait: the primary does not answer the binding read in time.
    expect(await store.get(key)).toBeUndefined();
    expect(store.health()).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/primary not answering since 2026-01-01T00:00:00.000Z/),
    });
    // From here on, nothing waits for the primary: the worker's memory decides.
    expect(await store.claim(key, { ip: '203.0.113.7' }, 60)).toEqual({ ip: '203.0.113.7' });
    expect(await store.claim(key, { ip: '203.0.113.8' }, 60)).toEqual({ ip: '203.0.113.7' });
    expect(await store.admitSession(admission('s1'))).toBe(true);
    expect(await store.admitSession(admission('s2'))).toBe(false);
    expect(await primary.local.get(key)).toEqual({ ip: '203.0.113.7' });
    // The first read, and one probe (a read of a key no one writes) for all the calls made since (delivered on a later turn).
    await vi.waitFor(() => expect(primary.received).toEqual(['get', 'get']), { timeout: 5000, interval: 5 });

    primary.goOn();
    await vi.waitFor(() => expect(store.health().ok).toBe(true), { timeout: 5000, interval: 20 });
    // Answering again: the primary's store decides as before.
    const before = primary.received.length;
    expect(await store.admitSession(admission('s3'))).toBe(true);
    expect(primary.received.slice(before)).toEqual(['admitSession']);
    expect(await primary.shared.admitSession(admission('s4'))).toBe(false);
  });

  it('keeps a copy of each binding the primary answered, which holds once the primary stops answering', async () => {
    const primary = stoppablePrimary();
    const { store } = primary;
    const key = bindingKey('bound-before');
    expect(await store.claim(key, { ip: '203.0.113.7' }, 60)).toEqual({ ip: '203.0.113.7' });
    primary.stop();
    expect(await store.claim(key, { ip: '198.51.100.9' }, 60)).toEqual({ ip: '203.0.113.7' });
  });

  it("a revoke while the primary is silent drops the worker's own cached allows of the viewer, and says it was not complete (the counts are the group's)", async () => {
    const primary = stoppablePrimary();
    const { store } = primary;
    const key = 'd:default:alice';
    await store.set(key, { allow: true }, 60);
    await store.noteAllow(key, ['l:alice'], 60);
    primary.stop();
    expect(await store.get(bindingKey('found-silent'))).toBeUndefined();

    // The counts are the group's, which only the primary could give: none, and not complete.
    expect(await revocation(store).revoke({ login: 'alice' })).toMatchObject({ complete: false });
    expect(store.getNow?.(key)).toBeUndefined();
  });

  it('a call already waiting for the primary runs on the worker at once when another call finds it silent', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const primary = stoppablePrimary();
    const { store } = primary;
    primary.stop();
    const first = store.get(bindingKey('first'));
    await vi.advanceTimersByTimeAsync(ANSWER_MS / 2);
    let secondDone = false;
    const second = store.admitSession(admission('s1')).then((admitted) => {
      secondDone = true;
      return admitted;
    });
    // The first call's wait ends; the second's own would end only later.
    await vi.advanceTimersByTimeAsync(ANSWER_MS / 2);
    expect(await first).toBeUndefined();
    expect(secondDone).toBe(true);
    expect(await second).toBe(true);
    expect(await primary.local.admitSession(admission('s2'))).toBe(false);
  });

  it('an error the primary answers is not silence: nothing changes for the calls after it', async () => {
    const local = memory();
    const link = linkedChannels(
      {
        store: () => {
          throw new Error('refused');
        },
      },
      {},
    );
    let asked = 0;
    const store = workerStore(local, (handler, method, args) => {
      asked += 1;
      return link.b.call(handler, [method, args], ANSWER_MS);
    });
    expect(await store.get(bindingKey('tok'))).toBeUndefined();
    expect(await store.get(bindingKey('tok'))).toBeUndefined();
    expect(asked).toBe(2);
    expect(store.health().ok).toBe(true);
  });
});
