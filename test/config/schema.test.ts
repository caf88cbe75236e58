import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSettingsText, ConfigError } from '../../src/config/document.js';
import { validateConfig } from '../../src/config/load.js';
import { readConfigFile } from '../../src/lifecycle/configFile.js';

import { maskSecrets } from '../../src/config/mask.js';
import { secretEnvValues } from '../../src/secrets.js';

/** The config serve reads from `file`. */
const loadConfigFile = (file: string, env: NodeJS.ProcessEnv) => readConfigFile(file, env).config;

function problemsOf(document: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    validateConfig(document, 'test.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration defaults', () => {
  it('gives every value a sane default', () => {
    const config = validateConfig({}, 'empty', {});
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8088 });
    expect(config.trustedCallers).toEqual(['127.0.0.0/8', '::1/128']);
    expect(config.log).toEqual({ level: 'info', format: 'json' });
    expect(config.cache).toEqual({
      enabled: true,
      store: 'memory',
      redisTimeoutMs: 200,
      localTtl: 5,
      allowTtl: 300,
      denyTtl: 30,
      maxTtl: 86_400,
      staleIfError: 600,
      maxEntries: 1_000_000,
    });
    expect(config.sessions).toEqual({ idleTtl: 3600 });
    expect(config.ipRules).toEqual([]);
    expect(config.users).toEqual([]);
    expect(config.routes).toEqual({
      default: { backends: [], mode: 'any', default: 'deny', timeoutMs: 5000, publish: 'deny' },
    });
    expect(config.limits).toEqual({
      maxQueryBytes: 8192,
      maxHeaderBytes: 32_768,
      middlewareConnections: 1024,
      maxBodyBytes: 16_384,
      bodyTimeoutMs: 5000,
    });
  });

  it('Flussonic-style backends deny on a redirect unless told redirect: allow', () => {
    const config = validateConfig(
      {
        backends: {
          f: { type: 'flussonic', url: 'http://f/auth' },
          m: { type: 'ministra', url: 'http://m/', redirect: 'allow' },
          p: { type: 'iptvportal', url: 'http://p', protocol: 'flussonic', redirect: 'allow' },
        },
      },
      'x',
      {},
    );
    expect(
      [config.backends.f, config.backends.m, config.backends.p].map((b) => (b as { redirect: string }).redirect),
    ).toEqual(['deny', 'allow', 'allow']);
  });

  it('without routes, makes one default route over all backends in mode any', () => {
    const config = validateConfig(
      { backends: { a: { type: 'http', url: 'http://a/check' }, b: { type: 'flussonic', url: 'http://b/auth' } } },
      'x',
      {},
    );
    expect(config.routes.default).toMatchObject({ backends: ['a', 'b'], mode: 'any', default: 'deny' });
    expect(config.backends.a!.timeoutMs).toBe(2000);
  });

  it.each([
    ['127.0.0.1:9000', { host: '127.0.0.1', port: 9000 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    [':9000', { host: '0.0.0.0', port: 9000 }],
    [9000, { host: '127.0.0.1', port: 9000 }],
  ])('reads listen %j', (listen, expected) => {
    expect(validateConfig({ listen }, 'x', {}).listen).toEqual(expected);
  });
});

describe('configuration errors name the key and the problem', () => {
  it.each<[string, unknown, string]>([
    [
      'a wrong backend type',
      { backends: { portal: { type: 'bogus', url: 'http://x' } } },
      'backends.portal.type: expected one of http|flussonic',
    ],
    ['a missing url', { backends: { portal: { type: 'http' } } }, 'backends.portal.url: required'],
    [
      'a non-http url',
      { backends: { portal: { type: 'http', url: 'ftp://x/y' } } },
      'backends.portal.url: expected an http:// or https:// URL',
    ],
    ['an unknown top-level key', { listne: '1.2.3.4:80' }, 'listne: unknown key'],
    ['an unknown nested key', { log: { level: 'info', colour: true } }, 'log.colour: unknown key'],
    ['a bad log level', { log: { level: 'loud' } }, 'log.level: expected one of error|warn|info|debug'],
    ['a bad listen', { listen: 'localhost' }, 'listen: expected host:port'],
    ['a bad CIDR', { trustedCallers: ['10.0.0.0/33'] }, 'trustedCallers[0]: expected an IP address or CIDR'],
    [
      'a negative timeout',
      { backends: { a: { type: 'http', url: 'http://a', timeoutMs: -5 } } },
      'backends.a.timeoutMs:',
    ],
    [
      'a text timeout',
      { backends: { a: { type: 'http', url: 'http://a', timeoutMs: 'soon' } } },
      'backends.a.timeoutMs:',
    ],
    [
      'a bad route mode',
      { routes: { default: { mode: 'all' } } },
      'routes.default.mode: expected one of any|sequential',
    ],
    [
      'a bad default action',
      { routes: { default: { default: 'maybe' } } },
      'routes.default.default: expected one of allow|deny',
    ],
    [
      'a route naming a missing backend',
      { backends: { a: { type: 'http', url: 'http://a' } }, routes: { default: { backends: ['a', 'b'] } } },
      'routes.default.backends[1]: unknown backend "b"',
    ],
    ['a route name unfit for a URL', { routes: { 'bad/name': {} } }, 'routes.bad/name'],
    [
      'an incomplete body rule',
      { backends: { a: { type: 'http', url: 'http://a', body: { format: 'json' } } } },
      'backends.a.body.path: required',
    ],
    [
      'a body rule with a bad format',
      { backends: { a: { type: 'http', url: 'http://a', body: { format: 'yaml', path: 'x', allow: [1] } } } },
      'backends.a.body.format: expected one of json|xml',
    ],
    ['a list where a mapping belongs', { backends: [] }, 'backends:'],
    ['a body bound too small', { limits: { maxBodyBytes: 10 } }, 'limits.maxBodyBytes:'],
    ['a body timeout in words', { limits: { bodyTimeoutMs: 'long' } }, 'limits.bodyTimeoutMs:'],
    [
      'a bad publish setting',
      { routes: { default: { publish: 'sometimes' } } },
      'routes.default.publish: expected one of deny|allow|check',
    ],
    [
      'a bad redirect setting',
      { backends: { f: { type: 'flussonic', url: 'http://f', redirect: 'follow' } } },
      'backends.f.redirect: expected one of deny|allow',
    ],
    [
      'redirect on a Cesbo-style backend',
      { backends: { h: { type: 'http', url: 'http://h', redirect: 'allow' } } },
      'backends.h.redirect: unknown key',
    ],
    [
      'redirect: allow on a Cesbo-style portal check',
      { backends: { p: { type: 'iptvportal', url: 'http://p', redirect: 'allow' } } },
      'backends.p.redirect: redirect: allow applies to protocol: flussonic only',
    ],
    [
      'a Redis URL with a text port',
      { cache: { store: 'redis', redisUrl: 'redis://:pw@127.0.0.1:notaport/0' } },
      'cache.redisUrl: expected redis://',
    ],
    [
      'a Redis URL with a text db',
      { cache: { store: 'redis', redisUrl: 'redis://127.0.0.1:6379/abc' } },
      'cache.redisUrl: expected redis://',
    ],
    [
      'a Redis URL with a broken escape in its password',
      { cache: { store: 'redis', redisUrl: 'redis://:S3c%zzretPW@127.0.0.1:6379/0' } },
      'cache.redisUrl: expected redis://',
    ],
    [
      'a backend URL with a broken escape in its credentials',
      { backends: { a: { type: 'http', url: 'http://us%zz:pw@mw/check' } } },
      'backends.a.url: the user:password@ part has a broken %-escape',
    ],
    [
      'a Redis URL that is not one',
      { cache: { store: 'redis', redisUrl: 'http://127.0.0.1:6379' } },
      'cache.redisUrl: expected redis://',
    ],
    ['redis without a URL', { cache: { store: 'redis' } }, 'cache.redisUrl: required when store is redis'],
    [
      'a backend name unfit for logs and URLs',
      { backends: { 'bad name': { type: 'http', url: 'http://a' } } },
      'backends.bad name: invalid name: names start with a letter or digit',
    ],
    ['an empty routes mapping', { routes: {} }, 'routes: define at least one route'],
  ])('%s', (_name, document, expected) => {
    expect(problemsOf(document).join('\n')).toContain(expected);
  });

  it.each(['__proto__', 'constructor'])('refuses the reserved name %s', (name) => {
    const document = parseSettingsText(`backends:\n  ${name}: {type: http, url: "http://mw/check"}\n`, 'x.yaml');
    expect(problemsOf(document)).toContain(`backends.${name}: reserved name`);
  });

  it.each([
    ['a host name', 'mw.example.com:8088'],
    ['a word', 'nohost:80'],
  ])('refuses listen with %s (the address must be an IP)', (_name, listen) => {
    expect(problemsOf({ listen }).join('\n')).toContain('listen: expected host:port with an IP address');
  });

  it('refuses a query bound the request head could never carry', () => {
    expect(problemsOf({ limits: { maxQueryBytes: 40_000 } })).toEqual([
      'limits.maxQueryBytes: maxQueryBytes must be smaller than maxHeaderBytes (the query travels in the request head)',
    ]);
  });

  it.each([
    [{ maxQueryBytes: 99_999 }, 'limits.maxQueryBytes: Too big: expected number to be <=65536'],
    [{ maxHeaderBytes: 1 }, 'limits.maxHeaderBytes: Too small: expected number to be >=1024'],
  ])('names one out-of-range size once, without comparing it to the other (%j)', (limits, problem) => {
    expect(problemsOf({ limits })).toEqual([problem]);
  });

  it('refuses an allow lifetime of 0, since an allow always carries a positive one, and keeps 0 for the others', () => {
    expect(problemsOf({ cache: { allowTtl: 0 } })).toEqual(['cache.allowTtl: Too small: expected number to be >=1']);
    expect(validateConfig({ cache: { denyTtl: 0, staleIfError: 0 } }, 'test.yaml', {}).cache).toMatchObject({
      denyTtl: 0,
      staleIfError: 0,
    });
  });

  it('refuses a top level that is not a mapping', () => {
    expect(problemsOf(['listen'])).toEqual(['(top level): expected a mapping of settings']);
  });

  it('never echoes a secret value in its messages', () => {
    const problems = problemsOf({
      backends: { a: { type: 'http', url: 'http://user:hunter2@a/check?key=topsecret', timeoutMs: 'hunter2' } },
    });
    expect(problems.join('\n')).not.toMatch(/hunter2|topsecret/);
  });
});

describe('environment substitution', () => {
  it('replaces ${VAR} and ${VAR:-fallback} in values, numbers included', () => {
    const config = validateConfig(
      {
        listen: '${HOST:-127.0.0.1}:${PORT}',
        backends: { a: { type: 'http', url: '${MW_URL}', timeoutMs: '${MW_TIMEOUT}' } },
      },
      'x',
      { PORT: '9100', MW_URL: 'http://mw.local/check', MW_TIMEOUT: '750' },
    );
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(config.backends.a).toMatchObject({ url: 'http://mw.local/check', timeoutMs: 750 });
  });

  it('names the key whose variable is not set', () => {
    expect(problemsOf({ backends: { a: { type: 'http', url: '${MW_URL}' } } })).toEqual([
      'backends.a.url: environment variable MW_URL is not set',
    ]);
  });

  it('cannot change the structure of the file', () => {
    const config = validateConfig({ routes: { default: { denyRedirect: 'http://promo/${PAGE}' } } }, 'x', {
      PAGE: 'a\nmode: allow',
    });
    expect(config.routes.default!.mode).toBe('any');
  });
});

describe('config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-config-'));

  it('reads YAML and JSON', () => {
    writeFileSync(
      join(dir, 'a.yaml'),
      'listen: 127.0.0.1:9001\nbackends:\n  mw: {type: http, url: "http://mw/check"}\n',
    );
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ listen: '127.0.0.1:9002' }));
    expect(loadConfigFile(join(dir, 'a.yaml'), {}).listen.port).toBe(9001);
    expect(loadConfigFile(join(dir, 'a.json'), {}).listen.port).toBe(9002);
  });

  it.each([
    ['broken.yaml', 'listen: [unclosed', 'cannot parse'],
    ['dupe.yaml', 'listen: 1\nlisten: 2\n', 'cannot parse'],
    ['broken.json', '{"listen": ', 'cannot parse'],
    ['dupe.json', '{"listen": 1, "listen": 2}', 'cannot parse'],
  ])('reports a file that does not parse (%s)', (name, text, expected) => {
    writeFileSync(join(dir, name), text);
    expect(() => loadConfigFile(join(dir, name), {})).toThrow(expected);
  });

  it('names where a file does not parse in one line, not ending on the colon of the quote it leaves out', () => {
    writeFileSync(join(dir, 'dupe-line.yaml'), 'listen: 1\nlisten: 2\n');
    let problems: readonly string[] = [];
    try {
      loadConfigFile(join(dir, 'dupe-line.yaml'), {});
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual(['(file): cannot parse: the key "listen" is given twice (again at line 2, column 1)']);
  });

  it.each([
    ['empty.yaml', ''],
    ['comments.yaml', '# to be written\n'],
  ])('refuses an empty config file (%s), naming why', (name, text) => {
    writeFileSync(join(dir, name), text);
    expect(() => loadConfigFile(join(dir, name), {})).toThrow(
      '(file): is empty (every default would deny every check; write {} to mean every default)',
    );
  });

  it('refuses an alias inside its own anchor, naming the key', () => {
    writeFileSync(join(dir, 'cycle.yaml'), 'routes:\n  default: &r {backends: [*r]}\n');
    expect(() => loadConfigFile(join(dir, 'cycle.yaml'), {})).toThrow('routes.default.backends[0]: refers to itself');
  });

  it('refuses an unknown tag without quoting the file (it may hold secrets)', () => {
    writeFileSync(
      join(dir, 'tag.yaml'),
      'backends:\n  mw: {type: http, url: !vault "http://u:hunter2@mw/check?token=T0PSECRET"}\n',
    );
    let message = '';
    try {
      loadConfigFile(join(dir, 'tag.yaml'), {});
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('Unresolved tag: !vault');
    expect(message).not.toMatch(/hunter2|T0PSECRET/);
  });

  it('supports YAML merge keys', () => {
    writeFileSync(
      join(dir, 'merge.yaml'),
      'backends:\n  a: &common {type: http, url: "http://a/check", timeoutMs: 700}\n  b: {<<: *common, url: "http://b/check"}\n',
    );
    expect(loadConfigFile(join(dir, 'merge.yaml'), {}).backends.b).toMatchObject({
      url: 'http://b/check',
      timeoutMs: 700,
    });
  });

  it('reports a missing file', () => {
    expect(() => loadConfigFile(join(dir, 'nope.yaml'), {})).toThrow(/cannot read \(ENOENT\)/);
  });
});

describe('URL normalization', () => {
  it('stores URLs percent-encoded with punycode hosts, so they are valid header values', () => {
    const config = validateConfig({ routes: { default: { denyRedirect: 'http://промо.рф/акция?x=1' } } }, 'x', {});
    expect(config.routes.default!.denyRedirect).toMatch(
      /^http:\/\/xn--[a-z0-9-]+\.xn--p1ai\/%D0%B0%D0%BA%D1%86%D0%B8%D1%8F\?x=1$/,
    );
  });
});

describe('maskSecrets', () => {
  it('masks secret keys, URL passwords and secret-looking URL parameters', () => {
    const masked = maskSecrets({
      securetoken: { secret: 'abc', hash: 'path' },
      users: [{ login: 'u', password: 'p', token: 't' }],
      backends: { a: { url: 'http://admin:hunter2@mw/check?key=k1&channel=5' } },
    });
    const text = JSON.stringify(masked);
    expect(text).not.toMatch(/abc|hunter2|"p"|"t"|k1/);
    expect(masked).toMatchObject({ securetoken: { hash: 'path' }, users: [{ login: 'u' }] });
    expect(text).toContain('channel=5');
  });

  it('masks user names in URLs, more secret parameter names, and text from secret environment variables', () => {
    const masked = JSON.stringify(
      maskSecrets(
        { backends: { a: { url: 'http://APIKEY123@mw/pathsecret/check?pass=1a&pwd=2b&sig=3c&hmac=4d&k=authsecret' } } },
        ['pathsecret', 'authsecret'],
      ),
    );
    expect(masked).not.toMatch(/APIKEY123|pathsecret|authsecret|1a|2b|3c|4d/);
  });

  it('masks the credentials of a URL too broken to parse', () => {
    const masked = JSON.stringify(
      maskSecrets({
        cache: { redisUrl: 'redis://:SECRETPW2@127.0.0.1:notaport/0' },
        other: 'redis://:SECRETPW4@[bad/0',
      }),
    );
    expect(masked).not.toMatch(/SECRETPW/);
    expect(masked).toContain('127.0.0.1:notaport/0');
  });

  it('accepts the Redis URLs a client can connect to', () => {
    for (const redisUrl of [
      'redis://127.0.0.1:6379/0',
      'redis://redis',
      'rediss://:pw@cache.example.com:6380/2',
      'redis://[::1]:6379',
    ]) {
      expect(validateConfig({ cache: { store: 'redis', redisUrl } }, 'x', {}).cache.redisUrl).toBe(redisUrl);
    }
  });
});

describe('secretEnvValues', () => {
  it('takes values of secret-looking variables, not the working directory', () => {
    expect(
      secretEnvValues({
        MW_PASSWORD: 'hunter22',
        API_KEY: 'k3yk3y',
        PWD: '/srv/app',
        OLDPWD: '/srv',
        PORT: '8088',
        SHORT_TOKEN: 'ab',
      }),
    ).toEqual(['hunter22', 'k3yk3y']);
  });
});
