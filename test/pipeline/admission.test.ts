import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessionAdmitter } from '../../src/pipeline/admission.js';
import { memoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';

let store: Store;
beforeEach(() => {
  store = memoryStore({ maxEntries: 100 });
});
afterEach(() => store.close());
const one = { user: 'backend:42', limit: 1, unique: false };

describe('sessionAdmitter', () => {
  it('counts sessions against the limit, a counted one always getting back in', async () => {
    const admit = sessionAdmitter(store, 60);
    expect(await admit('s1', one)).toBe(true);
    expect(await admit('s1', one)).toBe(true);
    expect(await admit('s2', one)).toBe(false);
  });

  it('lets a viewer with no session id in: there is nothing to count', async () => {
    const admit = sessionAdmitter(store, 60);
    expect(await admit('s1', one)).toBe(true);
    expect(await admit(undefined, one)).toBe(true);
    expect(admit.now!(undefined, one)).toBe(true);
  });

  it('counts at once on a store that counts in this process, the same counts as the waiting way', async () => {
    const admit = sessionAdmitter(store, 60);
    expect(admit.now!('s1', one)).toBe(true);
    expect(await admit('s2', one)).toBe(false);
    expect(admit.now!('s2', one)).toBe(false);
  });
});
