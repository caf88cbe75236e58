import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/config/document.js';
import { buildUserDirectory, userRefusal, type DirectoryUser } from '../../../src/policies/users/directory.js';
import { openLocalUsers } from '../../../src/policies/users/localUsers.js';
import type { ViewerRequest } from '../../../src/viewer.js';
import { memoryLogger } from '../../support/bridge.js';

function configOf(document: Record<string, unknown>) {
  return validateConfig(document, 'test.yaml', {});
}

function problemsOf(document: Record<string, unknown>): string[] {
  try {
    configOf(document);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const viewer = (parts: Partial<ViewerRequest> = {}): ViewerRequest => ({ dialect: 'cesbo', rawQuery: '', ...parts });

describe('user fields', () => {
  const userOf = (fields: Record<string, unknown>) =>
    configOf({ users: [{ login: 'u', token: 't', ...fields }] }).users[0]!;

  it.each<[unknown, number | undefined]>([
    [1767225599, 1767225599],
    ['1767225599', 1767225599],
    ['2025-12-31T23:59:59Z', 1767225599],
    ['2026-01-01T02:59:59+03:00', 1767225599],
    ['2025-12-31', 1767139200],
    [0, undefined],
  ])('expires %j is read as unix seconds %j (0: never, as in Astra)', (expires, seconds) => {
    expect(userOf({ expires }).expires).toBe(seconds);
  });

  it.each([
    '2025-12-31T23:59:59',
    'next tuesday',
    'December 31, 2025',
    '',
    -5,
    '2026-02-30T00:00:00Z',
    '2026-13-01',
    '2025-04-31T10:00:00+02:00',
  ])('refuses expires %j, naming the key', (expires) => {
    expect(problemsOf({ users: [{ login: 'u', token: 't', expires }] }).join('\n')).toMatch(/^users\[0\]\.expires: /m);
  });

  it.each([1767225600000, '1767225600000', '5000-01-01T00:00:00Z'])(
    'refuses expires %j, milliseconds or past the year 5000: the account would never expire',
    (expires) => {
      expect(problemsOf({ users: [{ login: 'u', token: 't', expires }] })).toEqual([
        `users[0].expires: expected unix seconds: ${expires} is milliseconds, or past the year 5000`,
      ]);
    },
  );

  it('reads Astra’s empty strings and conlimit 0 as not set', () => {
    expect(userOf({ ip: '', password: '', maxConnections: 0 })).toMatchObject({
      ip: undefined,
      password: undefined,
      maxConnections: undefined,
    });
  });

  it('keeps logins in Unicode NFC', () => {
    expect(userOf({ login: 'Jose\u0301' }).login).toBe('Jos\u00e9');
  });

  it.each<[Record<string, unknown>, string]>([
    [{ users: [{ login: 'a' }] }, 'users[0]: a user needs a password or a token to log in with'],
    [{ users: [{ login: 'a', token: 't', ip: '10.0.0.0/33' }] }, 'users[0].ip: expected an IP address or CIDR'],
    [
      { users: [{ login: 'a', password: '$2b$10$short' }] },
      'users[0].password: looks like a bcrypt hash but is malformed',
    ],
    [{ users: [{ login: 'a\u0007b', token: 't' }] }, 'users[0].login: must not contain control characters'],
    [{ users: [{ login: 'a:b', password: 'p' }] }, 'users[0].login: must not contain ":"'],
    [{ users: [{ login: ' lead', password: 'p' }] }, 'users[0].login: must not begin or end with a blank'],
    [{ users: [{ login: 'trail\t', password: 'p' }] }, 'users[0].login: must not begin or end with a blank'],
    // `?token=++` is two spaces: a token of spaces alone is one anybody sends by mistake.
    [{ users: [{ login: 'a', token: '  ' }] }, 'users[0].token: must not be only spaces'],
    [{ users: [{ login: ' ', token: 't' }] }, 'users[0].login: must not be only spaces'],
    [{ users: [{ login: 'a', token: 't', maxConnections: -1 }] }, 'users[0].maxConnections:'],
    [{ users: [{ login: 'a', token: 't', enable: true }] }, 'users[0].enable: unknown key'],
    [
      {
        users: [
          { login: 'a', token: 't' },
          { login: 'a', token: 'u' },
        ],
      },
      'users[1].login: "a" is also users[0]',
    ],
    [
      {
        users: [
          { login: 'Jos\u00e9', token: 't' },
          { login: 'Jose\u0301', token: 'u' },
        ],
      },
      'users[1].login: "José" is also users[0]',
    ],
    [
      {
        users: [
          { login: 'a', token: 'same-secret' },
          { login: 'b', token: 'same-secret' },
        ],
      },
      'users[1].token: the same token as users[0]',
    ],
    [
      {
        packages: { basic: ['a001'] },
        users: [
          { login: 'a', token: 't' },
          { login: 'b', token: 'u' },
          { login: 'c', token: 'v', packages: ['premium'] },
        ],
      },
      'users[2].packages[0]: unknown package "premium" (defined: basic)',
    ],
    [
      { ipRules: ['allow 10.0.0.0/8', 'deny 192.168.1.300'] },
      'ipRules[1]: after "deny": expected an IP address or CIDR',
    ],
    [{ ipRules: ['allow 10.0.0.0/40'] }, 'ipRules[0]: after "allow": expected an IP address or CIDR'],
    [{ ipRules: ['permit 10.0.0.1'] }, 'ipRules[0]: expected "allow|deny|pass <IP, CIDR or any>"'],
    [{ securetoken: { secret: '' } }, 'securetoken.secret'],
    [{ securetoken: { secret: 's', hash: 'md5' } }, 'securetoken.hash: expected one of path|channel'],
    [{ sessions: { idleTtl: 0 } }, 'sessions.idleTtl:'],
  ])('config %j fails naming the key: %s', (document, expected) => {
    expect(problemsOf(document).join('\n')).toContain(expected);
  });

  it('never quotes an IP rule in a problem (a ${VAR} may have put a secret there)', () => {
    const problems = problemsOf({ ipRules: ['allow BILLPW-SECRET', 'BILLPW-SECRET'] }).join('\n');
    expect(problems).toContain('ipRules[0]: after "allow": expected an IP address or CIDR');
    expect(problems).toContain('ipRules[1]: expected "allow|deny|pass <IP, CIDR or any>"');
    expect(problems).not.toContain('BILLPW');
  });

  it('never quotes a token in a problem', () => {
    expect(
      problemsOf({
        users: [
          { login: 'a', token: 'tok-SECRET' },
          { login: 'b', token: 'tok-SECRET' },
        ],
      }).join('\n'),
    ).not.toContain('SECRET');
  });
});

describe('user checks', () => {
  const packages = { basic: ['a001', 'a002'], sport: ['s001'] };
  const directory = buildUserDirectory(
    configOf({
      packages,
      users: [
        {
          login: 'anna',
          token: 'anna-token',
          packages: ['basic', 'sport'],
          ip: ['10.0.0.0/24', '2001:db8::/64'],
          expires: '2030-01-01T00:00:00Z',
        },
        { login: 'Ёжик', password: 'туман', enabled: false },
      ],
    }).users,
    packages,
  );
  const anna = directory.byToken('anna-token')!;
  const now = Date.parse('2029-06-01T00:00:00Z') / 1000;

  it('finds users by token and by login (NFC)', () => {
    expect(anna.login).toBe('anna');
    expect(anna.channels).toEqual(new Set(['a001', 'a002', 's001']));
    expect(directory.byLogin('Ёжик')?.login).toBe('Ёжик');
    expect(directory.byLogin('Е\u0308жик')?.login).toBe('Ёжик');
    expect(directory.byToken('nobody')).toBeUndefined();
    expect(directory.byLogin('__proto__')).toBeUndefined();
  });

  it.each<[string, Partial<ViewerRequest>, number, string | undefined]>([
    ['a channel of a package from an allowed IP', { ip: '10.0.0.9', channel: 's001' }, now, undefined],
    ['an allowed IPv6 range', { ip: '2001:db8::9', channel: 'a001' }, now, undefined],
    ['an IPv4-mapped allowed IP', { ip: '::ffff:10.0.0.9', channel: 'a001' }, now, undefined],
    ['another IP', { ip: '10.0.1.9', channel: 'a001' }, now, 'IP not allowed'],
    ['no IP', { channel: 'a001' }, now, 'IP not allowed'],
    ['a channel outside the packages', { ip: '10.0.0.9', channel: 'm001' }, now, 'channel not in packages'],
    ['no channel', { ip: '10.0.0.9' }, now, 'channel not in packages'],
    ['the expiry time', { ip: '10.0.0.9', channel: 'a001' }, Date.parse('2030-01-01T00:00:00Z') / 1000, 'expired'],
  ])('%s → %s', (_what, parts, at, refusal) => {
    expect(userRefusal(anna, viewer(parts), at)).toBe(refusal);
  });

  it('refuses a disabled user before anything else; a user with no packages or IPs may watch anything from anywhere', () => {
    const hedgehog = directory.byLogin('Ёжик') as DirectoryUser;
    expect(userRefusal(hedgehog, viewer({ ip: '10.0.0.1', channel: 'a001' }), now)).toBe('disabled');
    expect(
      userRefusal({ ...hedgehog, enabled: true }, viewer({ ip: '198.51.100.1', channel: 'anything' }), now),
    ).toBeUndefined();
  });
});

describe('identifying local users', () => {
  const users = openLocalUsers(
    configOf({
      users: [
        { login: 'testuser', password: bcrypt.hashSync('87326848', 4), token: '8732684ydbeb8' },
        { login: 'tokenonly', token: 'tk' },
      ],
    }),
    memoryLogger([]),
  );
  const identify = (parts: Partial<ViewerRequest>) => users.identify(viewer(parts)).then((user) => user?.login);
  afterAll(() => users.close());

  it('by token, or by login and the right password', async () => {
    expect(await identify({ token: '8732684ydbeb8' })).toBe('testuser');
    expect(await identify({ credentials: { login: 'testuser', password: '87326848' } })).toBe('testuser');
    expect(await identify({ token: 'unknown', credentials: { login: 'testuser', password: '87326848' } })).toBe(
      'testuser',
    );
  });

  it('not by an unknown token, a wrong or empty password, or a login without a password', async () => {
    expect(await identify({ token: 'unknown' })).toBeUndefined();
    expect(await identify({ credentials: { login: 'testuser', password: 'wrong' } })).toBeUndefined();
    expect(await identify({ credentials: { login: 'testuser', password: '' } })).toBeUndefined();
    expect(await identify({ credentials: { login: 'tokenonly', password: 'tk' } })).toBeUndefined();
    expect(await identify({ credentials: { login: 'nobody', password: 'x' } })).toBeUndefined();
  });

  it('at once: the same answer for every check of a user (a repeated check allocates none), nobody alike', () => {
    const first = users.identifyNow(viewer({ token: 'tk' }));
    expect(first?.user?.login).toBe('tokenonly');
    expect(users.identifyNow(viewer({ token: 'tk' }))).toBe(first);
    const nobody = users.identifyNow(viewer({ token: 'unknown' }));
    expect(nobody).toEqual({ user: undefined });
    expect(users.identifyNow(viewer({ credentials: { login: 'nobody', password: 'x' } }))).toBe(nobody);
    // A hashed password not checked yet: only `identify` can tell.
    expect(users.identifyNow(viewer({ credentials: { login: 'testuser', password: 'not-yet' } }))).toBeUndefined();
  });
});
