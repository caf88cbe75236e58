import { describe, expect, it } from 'vitest';
import { namedUser, namesAnotherUser, withoutToken } from '../../src/sessions/sessionUser.js';
import { SessionTracker } from '../../src/sessions/tracker.js';
import type { SessionRow } from '../../src/sessions/types.js';
import { sketched } from '../support/decisions.js';
import { ManualClock } from '../support/manualClock.js';

describe('namesAnotherUser', () => {
  it('a first user names a session that had none; a check naming nobody changes nothing', () => {
    expect(namesAnotherUser({}, { user: '7001', userId: '7001' })).toBe(true);
    expect(namesAnotherUser({ user: '7001', userId: '7001' }, {})).toBe(false);
  });

  it('another user id, login or session name is another user', () => {
    expect(namesAnotherUser({ user: '7001', userId: '7001' }, { user: '7002', userId: '7002' })).toBe(true);
    expect(namesAnotherUser({ user: 'bob', login: 'bob' }, { user: 'carol', login: 'carol' })).toBe(true);
  });

  it('the same user named another way is not another', () => {
    const known = { user: 'alice-box', sessionName: 'alice-box', userId: '42' };
    expect(namesAnotherUser(known, { user: '42', userId: '42' })).toBe(false);
    expect(namesAnotherUser(known, { user: 'alice-box', sessionName: 'alice-box' })).toBe(false);
  });
});

describe('withoutToken', () => {
  const TOKEN = 'allowUaQ2xyz';
  it('masks the token in a user agent, also percent-encoded a character at a time', () => {
    expect(withoutToken(`Player/2 (${TOKEN})`, TOKEN)).toBe('Player/2 (***)');
    expect(withoutToken('Player/2 (allow%55aQ2xyz)', TOKEN)).toBe('Player/2 (***)');
    expect(withoutToken('Player/2 (ALLOW%55AQ2XYZ)', TOKEN)).toBe('Player/2 (***)');
  });

  it('leaves a text that does not hold the token as it is, percent signs and all', () => {
    expect(withoutToken('VLC/3.0 (100%25 free)', TOKEN)).toBe('VLC/3.0 (100%25 free)');
    expect(withoutToken('broken %E0%A4 escape', TOKEN)).toBe('broken %E0%A4 escape');
    expect(withoutToken(undefined, TOKEN)).toBeUndefined();
    expect(withoutToken('VLC', undefined)).toBe('VLC');
  });
});

describe('namedUser', () => {
  const TOKEN = '0b8d6f4e2c1a3957';
  const checked = (sessionName: string, userId?: string) => ({
    route: 'default',
    protocol: 'cesbo',
    caller: '10.0.0.1',
    by: 'backend' as const,
    viewer: { session: 's1', token: TOKEN },
    decision: sketched({ allow: true, decidedBy: 'backend:portal', sessionName, userId }),
  });

  it('masks the viewer’s token a middleware echoes in the session name or user id, as given or URL-encoded', () => {
    expect(namedUser(checked(`name-${TOKEN}`, `id-${TOKEN}`))).toEqual({
      user: 'name-***',
      sessionName: 'name-***',
      userId: 'id-***',
    });
    const encoded = { ...checked('x'), viewer: { session: 's1', token: 'a b/c+d' } };
    encoded.decision = sketched({ allow: true, decidedBy: 'backend:portal', sessionName: 'n-a%20b%2Fc%2Bd' });
    expect(namedUser(encoded).sessionName).toBe('n-***');
    // Echoed in another letter case (a middleware that lower-cases what it is given), or escaped `%2f`.
    const upper = { ...checked('x'), viewer: { session: 's1', token: 'Ab12Cd34Ef56' } };
    upper.decision = sketched({ allow: true, decidedBy: 'backend:portal', sessionName: 'n-ab12cd34ef56' });
    expect(namedUser(upper).sessionName).toBe('n-***');
    encoded.decision = sketched({ allow: true, decidedBy: 'backend:portal', sessionName: 'n-a%20b%2fc%2bd' });
    expect(namedUser(encoded).sessionName).toBe('n-***');
    expect(namedUser(checked('alice-box'))).toMatchObject({ user: 'alice-box', sessionName: 'alice-box' });
  });

  it('names the user by an X-UserId free of the token where the session name held it, so masked users stay apart', () => {
    expect(namedUser(checked(`name-${TOKEN}`, '7001'))).toEqual({
      user: '7001',
      sessionName: 'name-***',
      userId: '7001',
    });
    // Both masked: nothing else tells them apart.
    expect(namedUser(checked(`name-${TOKEN}`, `id-${TOKEN}`)).user).toBe('name-***');
    // A session name free of the token stays the user's name.
    expect(namedUser(checked('alice-box', '7001')).user).toBe('alice-box');
  });

  it('names a connection-limit deny by the backend’s X-Session-Name its allows carry, not by its X-UserId', () => {
    const overLimit = {
      ...checked('x'),
      by: 'connection-limit' as const,
      decision: {
        allow: false,
        ttlSeconds: 300,
        source: { kind: 'policy' as const, policy: 'connection-limit' as const, by: 'connection-limit' },
        answer: { sessionName: 'alice', userId: '101', maxSessions: 2 },
      },
    };
    expect(namedUser(overLimit)).toMatchObject({ user: 'alice', sessionName: 'alice', userId: '101' });
    expect(namedUser(checked('alice', '101')).user).toBe('alice');
  });

  it('so the statistics row and the session list never hold the token in clear', () => {
    const rows: SessionRow[] = [];
    const sessions = new SessionTracker({
      idleTtlSeconds: 60,
      maxLive: 10,
      clock: new ManualClock(),
      sink: (row) => rows.push(row),
    });
    sessions.checkAnswered(checked(`name-${TOKEN}`));
    // A link layout that puts the token where the channel goes (`/<token>/index.m3u8`, a Flussonic name).
    const tokenAsChannel = checked('bob');
    sessions.checkAnswered({ ...tokenAsChannel, viewer: { ...tokenAsChannel.viewer, session: 's2', channel: TOKEN } });
    expect(rows.map((row) => [row.user, row.channel])).toEqual([
      ['name-***', undefined],
      ['bob', '***'],
    ]);
    expect([...sessions.list().sessions].map((session) => session.user)).toEqual(['bob', 'name-***']);
    expect(JSON.stringify([rows, [...sessions.list().sessions]])).not.toContain(TOKEN);
  });
});
