import { describe, expect, it } from 'vitest';
import { collectConfig, validateConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/document.js';

const problemsOf = (document: unknown, env: NodeJS.ProcessEnv = {}) => [...collectConfig(document, env).problems];

describe('every problem of a document in one pass', () => {
  it('lists four mistakes in four different places, a route reference among them', () => {
    const problems = problemsOf({
      listen: 'nowhere',
      cache: { store: 'redis' },
      backends: { mw: { type: 'http', url: 'http://mw.local/check', timeoutMs: 0 } },
      routes: { default: { backends: ['portal'] } },
    });
    expect(problems).toEqual([
      'listen: expected host:port with an IP address, e.g. 127.0.0.1:8088 or [::1]:8088',
      'cache.redisUrl: required when store is redis',
      'backends.mw.timeoutMs: Too small: expected number to be >=1',
      'routes.default.backends[0]: unknown backend "portal" (defined: mw)',
    ]);
  });

  it('a missing ${VAR} hides nothing else, and its key gets that one problem only', () => {
    const problems = problemsOf({
      listen: 'nowhere',
      log: { level: 'loud' },
      backends: { mw: { type: 'http', url: '${MW_URL}' }, other: { type: 'stalker', url: 'http://x' } },
      securetoken: { secret: '${ST_SECRET}' },
      routes: { default: { backends: ['mw', 'gone'], mode: 'random' } },
      users: [{ login: 'ann', password: 'pw', packages: ['premium'] }],
      extra: 1,
    });
    expect(problems).toEqual([
      'backends.mw.url: environment variable MW_URL is not set',
      'securetoken.secret: environment variable ST_SECRET is not set',
      'listen: expected host:port with an IP address, e.g. 127.0.0.1:8088 or [::1]:8088',
      'log.level: expected one of error|warn|info|debug',
      'backends.other.type: expected one of http|flussonic|ministra|iptvportal|smarty',
      'routes.default.mode: expected one of any|sequential',
      'extra: unknown key',
      'routes.default.backends[1]: unknown backend "gone" (defined: mw, other)',
      'users[0].packages[0]: unknown package "premium" (defined: none)',
    ]);
  });

  it('names every problem in one run: a clash beside a missing admin.token, an unknown package beside a bad name', () => {
    expect(problemsOf({ admin: { listen: '0.0.0.0:8088' } })).toEqual([
      'admin.token: required when admin.listen is not a loopback address (0.0.0.0): anyone who reaches it could flush and revoke',
      'admin.listen: the address listen already takes: the admin listener needs a port of its own',
    ]);
    expect(
      problemsOf({
        packages: { basic: ['a'], 'bad!': ['b'] },
        users: [{ login: 'a', token: 't', packages: ['nope'] }],
      }),
    ).toEqual([
      expect.stringMatching(/^packages\.bad!: invalid name/),
      'users[0].packages[0]: unknown package "nope" (defined: basic, bad!)',
    ]);
  });

  it('says in one line which types a key takes, where each of its forms wanted another', () => {
    expect(problemsOf({ listen: [1, 2], admin: { listen: false }, securetoken: { secret: 12345 } })).toEqual([
      'listen: expected string or number, received array',
      'admin.listen: expected string or number, received boolean',
      'securetoken.secret: expected string or array, received number',
    ]);
  });

  it('refuses a shell form of ${...} it does not substitute, rather than keep it as the value (a public "secret")', () => {
    for (const secret of ['${ST-}', '${ST:=fallback}', '${ST:-${OTHER}}', 'x${ST'])
      expect(problemsOf({ securetoken: { secret } }, {}), secret).toEqual([
        'securetoken.secret: a "${" that is no ${NAME} or ${NAME:-fallback} (other shell forms and nesting are not substituted)',
      ]);
    // The two forms it does substitute, and a $ that starts no reference (a bcrypt hash's), stay as they were.
    expect(problemsOf({ securetoken: { secret: '${ST}' } }, { ST: 'from-env-0123' })).toEqual([]);
    expect(problemsOf({ securetoken: { secret: '${ST:-fallback-0123}' } }, {})).toEqual([]);
    expect(
      problemsOf({ users: [{ login: 'a', password: '$2y$04$cAs7C4G2AT7E9AYa64tmmen4ASAYFMKHGz6i9zgjuU1PHmYtjYb2i' }] }),
    ).toEqual([]);
  });

  it('never shows a secret a typo made part of a key: only what comes before the slip, and what was meant', () => {
    const problems = problemsOf({
      users: [
        { login: 'anna', 'password:SECRET-PW-79': null },
        { login: 'bob', 'token=SECRET-TOKEN-77': null },
      ],
      securetoken: { 'secret LEAKSEC10': null },
      'admin:{token:LEAK}': 1,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'users[0].password:***: unknown key (a space missing after ":"?)',
        'users[1].token=***: unknown key (":" written as "="?)',
        'securetoken.secret ***: unknown key (a ":" missing?)',
        'admin:***: unknown key (a space missing after ":"?)',
      ]),
    );
    expect(problems.join('\n')).not.toMatch(/SECRET|LEAK/);
  });

  it('refuses a route listing a backend twice, naming the second place', () => {
    const backends = {
      d: { type: 'http', url: 'http://mw.local/check' },
      e: { type: 'http', url: 'http://mw.local/e' },
    };
    expect(problemsOf({ backends, routes: { default: { backends: ['d', 'e', 'd', 'd'] } } })).toEqual([
      'routes.default.backends[2]: backend "d" is listed twice',
      'routes.default.backends[3]: backend "d" is listed twice',
    ]);
  });

  it('a URL without a scheme is one problem, not two', () => {
    expect(problemsOf({ backends: { mw: { type: 'http', url: 'mw.local/check' } } })).toEqual([
      'backends.mw.url: expected an http:// or https:// URL',
    ]);
    expect(problemsOf({ routes: { default: { denyRedirect: 'promo.example.com' } } })).toEqual([
      'routes.default.denyRedirect: expected an http:// or https:// URL',
    ]);
  });

  it('still names a broken %-escape in the credentials of a real URL', () => {
    expect(problemsOf({ backends: { mw: { type: 'http', url: 'http://user:%zz@mw.local/' } } })).toEqual([
      'backends.mw.url: the user:password@ part has a broken %-escape',
    ]);
  });

  it('a valid document has no problems and its value; validateConfig throws all of an invalid one', () => {
    const collected = collectConfig({ backends: { mw: { type: 'http', url: 'http://mw/check' } } }, {});
    expect(collected.problems).toEqual([]);
    expect(collected.value?.routes.default?.backends).toEqual(['mw']);
    expect(() => validateConfig({ listen: 'x', extra: 1 }, 'bad.yaml', {})).toThrow(ConfigError);
    try {
      validateConfig({ listen: 'x', extra: 1 }, 'bad.yaml', {});
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
      expect((error as ConfigError).message).toMatch(/^invalid configuration in bad\.yaml:\n {2}- listen: /);
    }
  });

  it('a document that is no mapping says so', () => {
    expect(problemsOf(['a', 'b'])).toEqual(['(top level): expected a mapping of settings']);
    expect(problemsOf('text')).toEqual(['(top level): expected a mapping of settings']);
    // YAML `!!binary x` reads as bytes, which are no settings either.
    expect(problemsOf(new Uint8Array(0))).toEqual(['(top level): expected a mapping of settings']);
  });
});
