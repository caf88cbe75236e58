import { describe, expect, it } from 'vitest';
import { namesAnotherUser } from '../../src/sessions/sessionUser.js';

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
