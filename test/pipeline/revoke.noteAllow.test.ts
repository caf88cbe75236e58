import { afterAll, describe, expect, it } from 'vitest';
import { digest } from '../../src/pipeline/cacheKey.js';
import { backendSource } from '../../src/pipeline/decision.js';
import { noteAllow } from '../../src/pipeline/revoke.js';
import { memoryStore } from '../../src/store/memory.js';

// What a cached allow is noted under, in the order it is noted: the token's digest, the viewer's
// login, the middleware's session name, its user id; each identity once.
describe('noteAllow identities', () => {
  const store = memoryStore({ maxEntries: 10 });
  afterAll(() => store.close());

  it('notes every identity in order, the token only as its digest', async () => {
    await store.set('d:default:all', { allow: true }, 60);
    noteAllow(
      store,
      'd:default:all',
      { dialect: 'cesbo', rawQuery: '', token: 'secret-token', credentials: { login: 'bob', password: 'x' } },
      { allow: true, source: backendSource('mw'), sessionName: 'bob-tv', answer: { userId: '42' } },
      60,
    );
    await expect
      .poll(() => store.notedUnder('l:bob'))
      .toEqual([{ key: 'd:default:all', identities: [`t:${digest('secret-token')}`, 'l:bob', 'l:bob-tv', 'u:42'] }]);
    expect(await store.notedUnder('t:secret-token')).toEqual([]);
  });

  it('notes a login the middleware repeats as the session name once', async () => {
    await store.set('d:default:same', { allow: true }, 60);
    noteAllow(
      store,
      'd:default:same',
      { dialect: 'cesbo', rawQuery: '', credentials: { login: 'carol', password: 'x' } },
      { allow: true, source: backendSource('mw'), sessionName: 'carol' },
      60,
    );
    await expect.poll(() => store.notedUnder('l:carol')).toEqual([{ key: 'd:default:same', identities: ['l:carol'] }]);
  });
});
