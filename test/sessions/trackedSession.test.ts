import { describe, expect, it } from 'vitest';
import type { CheckAnswered } from '../../src/observe.js';
import { belongsTo, startedSession } from '../../src/sessions/trackedSession.js';
import { sketched } from '../support/decisions.js';

function check(decidedBy: string, viewer: Partial<CheckAnswered['viewer']> = {}): CheckAnswered {
  return {
    route: 'default',
    protocol: 'cesbo',
    caller: '10.0.0.1',
    viewer: { dialect: 'cesbo', rawQuery: '', session: 's1', channel: 'a001', ip: '203.0.113.7', ...viewer },
    decision: sketched({ allow: true, decidedBy, userId: '9' }),
    outcome: 'allow',
    by: decidedBy.split(/[: ]/)[0] as CheckAnswered['by'],
    cache: 'none',
    status: 200,
    durationMs: 1,
  };
}

describe('startedSession', () => {
  it('starts the row at the check, naming the user, keeping the token only as a fingerprint', () => {
    const started = startedSession(check('backend:m', { token: 'tok-secret' }), 'key', 1000);
    expect(started.row).toMatchObject({
      route: 'default',
      session: 's1',
      user: '9',
      channel: 'a001',
      firstSeen: 1000,
      lastSeen: 1000,
      decision: 'allow',
      by: 'backend',
      allowed: true,
    });
    expect(started).toMatchObject({ key: 'key', userId: '9', written: 1000 });
    expect(started.tokenFingerprint).toMatch(/^[0-9a-f]+$/);
    expect(JSON.stringify(started)).not.toContain('tok-secret');
  });

  it('keeps a channel name that carries a query (a stream named with its query folded in) with its secrets masked', () => {
    const started = startedSession(check('backend:m', { channel: 'a001?token=good-LEAK4&sig=LEAK5' }), 'key', 1000);
    expect(started.row.channel).toBe('a001?token=***&sig=***');
    expect(JSON.stringify(started)).not.toMatch(/LEAK/);
  });

  it("masks the viewer's token in a User-Agent that carries it, as the statistics row and the session list show it", () => {
    const viewer = { token: 'Tok-Secret-77', userAgent: 'SmartPlayer/2 (tok-secret-77)' };
    const started = startedSession(check('backend:m', viewer), 'key', 1000);
    expect(started.row.userAgent).toBe('SmartPlayer/2 (***)');
    expect(startedSession(check('backend:m', { userAgent: 'VLC/3.0' }), 'key', 1000).row.userAgent).toBe('VLC/3.0');
  });

  it('gives every session start its own row id', () => {
    const ids = new Set([1, 2, 3].map(() => startedSession(check('default'), 'key', 0).row.id));
    expect(ids.size).toBe(3);
  });
});

describe('belongsTo', () => {
  it('finds a session by login or the backend session name, user id, or token fingerprint', () => {
    const byToken = startedSession(check('backend:m', { token: 'tok-1' }), 'a', 0);
    const byLogin = startedSession(check('user:carol', { credentials: { login: 'carol', password: 'x' } }), 'b', 0);
    expect(belongsTo(byToken, { token: 'tok-1' })).toBe(true);
    expect(belongsTo(byToken, { token: 'tok-2' })).toBe(false);
    expect(belongsTo(byToken, { userId: '9' })).toBe(true);
    expect(belongsTo(byLogin, { login: 'carol' })).toBe(true);
    expect(belongsTo(byLogin, { login: 'dave' })).toBe(false);
    expect(belongsTo(byToken, { login: 'carol' })).toBe(false);
  });

  it('finds a session whose backend names held the token (kept masked) by those names in clear', () => {
    const event = check('backend:m', { token: 'good-as2' });
    const named = {
      ...event,
      decision: sketched({ allow: true, decidedBy: 'backend:m', sessionName: 'user-good-as2', userId: 'uid-good-as2' }),
    };
    const session = startedSession(named, 'a', 0);
    expect([session.row.user, session.sessionName, session.userId]).toEqual(['user-***', 'user-***', 'uid-***']);
    expect(JSON.stringify(session)).not.toContain('good-as2');
    expect(belongsTo(session, { login: 'user-good-as2' })).toBe(true);
    expect(belongsTo(session, { userId: 'uid-good-as2' })).toBe(true);
    expect(belongsTo(session, { login: 'user-good-as3' })).toBe(false);
    expect(belongsTo(session, { userId: 'user-good-as2' })).toBe(false);
  });
});
