import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';

const cacheOf = (cache: object) => validateConfig({ cache }, 'test config', {}).cache;

describe('cache.localTtl', () => {
  it('is 5 seconds unless set; 0 turns the near-cache off', () => {
    expect(cacheOf({}).localTtl).toBe(5);
    expect(cacheOf({ localTtl: 0 }).localTtl).toBe(0);
    expect(cacheOf({ localTtl: '30' }).localTtl).toBe(30);
  });

  it.each([[-1], [3601], [1.5], ['soon']])('refuses %s, naming the key', (localTtl) => {
    expect(() => cacheOf({ localTtl })).toThrow(/cache\.localTtl/);
  });
});

describe('cache.redisUrl', () => {
  it.each([
    'redis://127.0.0.1:6379/0',
    'rediss://:pw@redis.lan/3',
    'redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster/0',
    'redis+sentinel://user:pw@10.0.0.1,[::1]:26380,sentinel.lan/mymaster',
  ])('accepts %s', (redisUrl) => {
    expect(cacheOf({ store: 'redis', redisUrl }).redisUrl).toBe(redisUrl);
  });

  it.each([
    ['no group name', 'redis+sentinel://10.0.0.1:26379'],
    ['an empty group name', 'redis+sentinel://10.0.0.1:26379/'],
    ['a port out of range', 'redis+sentinel://10.0.0.1:26379,10.0.0.2:70000/mymaster'],
    ['an empty host in the list', 'redis+sentinel://10.0.0.1:26379,/mymaster'],
    ['a db that is not a number', 'redis+sentinel://10.0.0.1/mymaster/x'],
    ['a path past the db', 'redis+sentinel://10.0.0.1/mymaster/0/more'],
    ['a broken %-escape in the password', 'redis+sentinel://:s3cret%zz@10.0.0.1/mymaster'],
    ['a plain URL with a bad port', 'redis://:s3cret@127.0.0.1:notaport/0'],
    ['another scheme', 'http://:s3cret@127.0.0.1/0'],
  ])('refuses %s, naming cache.redisUrl and never echoing the password', (_, redisUrl) => {
    let message = '';
    try {
      cacheOf({ store: 'redis', redisUrl });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/cache\.redisUrl: expected redis:\/\/.*redis\+sentinel:\/\//);
    expect(message).not.toContain('s3cret');
  });
});
