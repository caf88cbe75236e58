import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';

const load = (stats: unknown) => validateConfig({ stats }, 'test config', {}).stats;

describe('stats config', () => {
  it('defaults to SQLite in ./data/stats.db with a queue of 100000 and 90 days kept', () => {
    expect(validateConfig({}, 'test config', {}).stats).toEqual({
      store: 'sqlite',
      path: './data/stats.db',
      queue: 100_000,
      keepDays: 90,
      maxLiveSessions: 100_000,
    });
  });

  it('takes a PostgreSQL URL, also from the environment', () => {
    const config = validateConfig({ stats: { store: 'postgres', url: '${STATS_URL}' } }, 'test config', {
      STATS_URL: 'postgresql://bridge:pw@127.0.0.1/iptv',
    });
    expect(config.stats).toMatchObject({ store: 'postgres', url: 'postgresql://bridge:pw@127.0.0.1/iptv' });
  });

  it.each([
    [{ store: 'mysql' }, 'stats.store: expected one of sqlite|postgres|off'],
    [{ store: 'postgres' }, 'stats.url: required when store is postgres'],
    [{ store: 'postgres', url: 'http://127.0.0.1/iptv' }, 'stats.url: expected postgres://'],
    [{ store: 'postgres', url: 'postgres://bad%zz@127.0.0.1/iptv' }, 'stats.url: expected postgres://'],
    [{ keepDays: 0 }, 'stats.keepDays'],
    [{ queue: 'many' }, 'stats.queue'],
    [{ path: '' }, 'stats.path'],
    [{ retention: 5 }, 'stats.retention: unknown key'],
  ])('%j is refused naming the key', (stats, message) => {
    expect(() => load(stats)).toThrow(message);
  });
});
