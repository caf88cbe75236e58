import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readConfigDocument, validateConfig } from '../../src/config/load.js';
import { PACKAGE_ROOT } from '../../src/packageRoot.js';
import { configWarnings } from '../../src/config/warnings.js';

const warningsOf = (document: unknown) => configWarnings(validateConfig(document, 'test.yaml', {}));

describe('valid but likely wrong settings', () => {
  it('a backend timeoutMs above its route budget, per route that uses it', () => {
    expect(
      warningsOf({
        backends: {
          slow: { type: 'http', url: 'http://mw/check', timeoutMs: 3000 },
          quick: { type: 'http', url: 'http://mw/q', timeoutMs: 500 },
        },
        routes: {
          tight: { backends: ['slow', 'quick'], timeoutMs: 2000 },
          roomy: { backends: ['slow'], timeoutMs: 3000 },
        },
      }),
    ).toEqual([
      'backends.slow.timeoutMs (3000) is above routes.tight.timeoutMs (2000): on that route the budget cancels the backend first and the default answers',
    ]);
  });

  it('a Ministra backend with cache.maxTtl below its X-AuthDuration of 36000', () => {
    const warnings = warningsOf({
      cache: { maxTtl: 3600 },
      backends: { portal: { type: 'ministra', url: 'http://mw/stalker_portal' } },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^cache\.maxTtl \(3600\) is below the X-AuthDuration of 36000 that backends\.portal \(ministra\) grants/,
    );
    expect(
      warningsOf({
        cache: { maxTtl: 36000 },
        backends: { portal: { type: 'ministra', url: 'http://mw/stalker_portal' } },
      }),
    ).toEqual([]);
    expect(
      warningsOf({ cache: { maxTtl: 60 }, backends: { check: { type: 'http', url: 'http://mw/check' } } }),
    ).toEqual([]);
  });

  it('a config where nothing can allow a check: every default, or no backends and only denying policies', () => {
    const denied = [
      'routes: no route has backends or default: allow, and no users, usersFile, securetoken or ipRules allow rule is set: every check is denied (define backends, or set routes.<name>.default: allow)',
    ];
    expect(warningsOf({})).toEqual(denied);
    expect(warningsOf({ ipRules: ['deny 10.0.0.0/8', 'pass any'], routes: { a: {}, b: { default: 'deny' } } })).toEqual(
      denied,
    );
  });

  it.each([
    [{ backends: { portal: { type: 'ministra', url: 'http://mw/stalker_portal' } } }],
    [{ routes: { open: { default: 'allow' } } }],
    [{ users: [{ login: 'ann', token: 'tok-ann' }] }],
    [{ usersFile: '/etc/iptv-auth-bridge/users.yaml' }],
    [{ securetoken: { secret: 'a-long-shared-secret' } }],
    [{ ipRules: ['allow 10.0.0.0/8'] }],
  ])('nothing when something can allow a check: %j', (document) => {
    expect(warningsOf(document)).toEqual([]);
  });
});

describe('the shipped example', () => {
  it('says it denies every check, and takes a Ministra backend, added as the README shows, without a warning', () => {
    const example = readConfigDocument(join(PACKAGE_ROOT, 'config', 'example.yaml')) as Record<string, unknown>;
    const withMinistra = {
      ...example,
      backends: { portal: { type: 'ministra', url: 'http://mw.example.com/stalker_portal', maxSessions: 2 } },
      routes: { default: { backends: ['portal'], denyRedirect: 'http://promo.example.com/promo' } },
    };
    // As shipped it has no backends: a file to start from, which says it denies every check.
    expect(warningsOf(example)).toEqual([expect.stringContaining('every check is denied')]);
    expect(warningsOf(withMinistra)).toEqual([]);
  });
});
