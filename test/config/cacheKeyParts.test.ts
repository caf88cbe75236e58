import { describe, expect, it } from 'vitest';
import { CACHE_KEY_PARTS } from '../../src/config/cacheKeyParts.js';
import { validateConfig } from '../../src/config/load.js';

const withKey = (key: unknown) => validateConfig({ cache: { key } }, 'bridge.yaml', {});

describe('cache.key', () => {
  it('takes every part a check can be keyed by', () => {
    expect(withKey([...CACHE_KEY_PARTS]).cache.key).toEqual(CACHE_KEY_PARTS);
    expect(withKey(['token', 'archive', 'params']).cache.key).toEqual(['token', 'archive', 'params']);
  });

  it('refuses an unknown part, naming the key and the parts it takes', () => {
    expect(() => withKey(['token', 'segment'])).toThrow(/cache\.key\[1\].*archive/s);
    expect(() => withKey([])).toThrow(/cache\.key/);
  });

  it('refuses a part listed twice', () => {
    expect(() => withKey(['token', 'ip', 'token'])).toThrow(/cache\.key: a part is listed more than once/);
  });
});
