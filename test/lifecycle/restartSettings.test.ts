import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { settingsNeedingRestart, withFixedSettingsOf } from '../../src/lifecycle/restartSettings.js';

const config = (document: Record<string, unknown>) => validateConfig(document, 'test', {});

describe('settingsNeedingRestart', () => {
  const running = config({
    listen: '127.0.0.1:8088',
    cache: { store: 'redis', redisUrl: 'redis://:secret@127.0.0.1:6379/0' },
  });

  it('names the settings read only at start that a new file changes, never their values', () => {
    const next = config({
      listen: '127.0.0.1:9000',
      log: { format: 'text' },
      cache: { store: 'redis', redisUrl: 'redis://:other@127.0.0.1:6379/0', maxEntries: 5 },
    });
    const changed = settingsNeedingRestart(running, next);
    expect(changed).toEqual(['listen', 'log.format', 'cache.redisUrl', 'cache.maxEntries']);
    expect(JSON.stringify(changed)).not.toContain('other');
  });

  it('names admin.listen when a validated config moves the admin listener or turns it off', () => {
    const at = (listen: string) => config({ admin: { listen } });
    expect(settingsNeedingRestart(at('127.0.0.1:18089'), at('127.0.0.1:18099'))).toEqual(['admin.listen']);
    expect(settingsNeedingRestart(at('127.0.0.1:18089'), at('off'))).toEqual(['admin.listen']);
    expect(settingsNeedingRestart(at('127.0.0.1:18089'), at('127.0.0.1:18089'))).toEqual([]);
  });

  it('names none for changes a reload applies (routes, TTLs, rules, level, trusted callers)', () => {
    const next = config({
      listen: '127.0.0.1:8088',
      cache: { store: 'redis', redisUrl: 'redis://:secret@127.0.0.1:6379/0', allowTtl: 5 },
      log: { level: 'debug' },
      ipRules: ['deny 10.0.0.1'],
      trustedCallers: ['10.0.0.0/8'],
    });
    expect(settingsNeedingRestart(running, next)).toEqual([]);
  });

  it('compares settings other parts define (admin, stats) when present, and ignores them when absent in both', () => {
    expect(settingsNeedingRestart({ admin: { listen: 'off' } }, { admin: { listen: '127.0.0.1:8089' } })).toContain(
      'admin.listen',
    );
    expect(settingsNeedingRestart({ stats: { store: 'sqlite' } }, {})).toContain('stats');
    expect(settingsNeedingRestart({ admin: { token: 'a'.repeat(16) } }, { admin: { token: 'b'.repeat(16) } })).toEqual([
      'admin.token',
    ]);
    expect(settingsNeedingRestart({ admin: { hosts: [] } }, { admin: { hosts: ['bridge.example.net'] } })).toEqual([
      'admin.hosts',
    ]);
    expect(settingsNeedingRestart({ streamingServers: {} }, { streamingServers: { edge1: {} } })).toEqual([
      'streamingServers',
    ]);
    expect(settingsNeedingRestart({}, {})).toEqual([]);
  });
});

describe('withFixedSettingsOf', () => {
  it('serves what a reload put in force, with the running values of the settings fixed at start', () => {
    const running = config({
      listen: '127.0.0.1:8088',
      admin: { listen: '127.0.0.1:18089', token: 'started-with-this-token-0123' },
      cache: { allowTtl: 60 },
      routes: { default: { backends: [], default: 'allow' } },
    });
    const next = config({
      listen: '127.0.0.1:9000',
      admin: { listen: 'off' },
      log: { format: 'text' },
      cache: { allowTtl: 5, maxEntries: 10 },
      routes: { default: { backends: [], default: 'deny' } },
    });
    const served = withFixedSettingsOf(running, next);
    expect(settingsNeedingRestart(running, served)).toEqual([]);
    expect(served.routes.default!.default).toBe('deny');
    expect(served.cache.allowTtl).toBe(5);
    expect(served.admin.token).toBe('started-with-this-token-0123');
    expect(served.admin.enabled).toBe(true);
    expect(served.listen).toEqual(running.listen);
    // What it shares with `next` is not copied, and `next` itself is left as it was.
    expect(served.routes).toBe(next.routes);
    expect(next.cache.maxEntries).toBe(10);
  });
});
