import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/config/redisUrl.js';

describe('parseRedisUrl', () => {
  it('a redis:// or rediss:// URL is one server, passed on as written', () => {
    expect(parseRedisUrl('rediss://:pw@redis.lan:6380/2')).toEqual({
      kind: 'server',
      url: 'rediss://:pw@redis.lan:6380/2',
    });
  });

  it('a redis+sentinel:// URL names the sentinels (port 26379 unless given), the group, the db and the credentials', () => {
    expect(parseRedisUrl('redis+sentinel://bridge:p%40ss@10.0.0.1,[::1]:26380/mymaster/3')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'mymaster',
      db: 3,
      username: 'bridge',
      password: 'p@ss',
    });
    expect(parseRedisUrl('redis+sentinel://s1:26379/cache')).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }],
      name: 'cache',
      db: 0,
    });
  });

  it.each([
    'redis+sentinel://',
    'redis+sentinel://s1',
    'redis+sentinel://s1:0/mymaster',
    'redis+sentinel://s1:26379,,s2/mymaster',
    'redis+sentinel://s1/my master',
    'redis+sentinel://[::1/mymaster',
    'redis://',
    'redis://host/x',
    'memcached://host',
  ])('is undefined for %s', (text) => {
    expect(parseRedisUrl(text)).toBeUndefined();
  });
});
