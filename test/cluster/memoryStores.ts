import { afterEach } from 'vitest';
import { memoryStore } from '../../src/store/memory.js';

/** Memory stores for the primary and its workers, each closed after the test that opened it. */
export function memoryStores(): () => ReturnType<typeof memoryStore> {
  const opened: ReturnType<typeof memoryStore>[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  return () => {
    const store = memoryStore({ maxEntries: 1000 });
    opened.push(store);
    return store;
  };
}
