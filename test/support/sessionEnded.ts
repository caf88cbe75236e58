import type { SessionEnded } from '../../src/observe.js';

/**
 * A streaming server's word that `session` ended, for the viewer (203.0.113.7) and caller (10.0.0.1) the session
 * tests check from: the same id from another caller, protocol or viewer would be another session.
 */
export const endedNotice = (session: string, more: Partial<SessionEnded> = {}): SessionEnded => ({
  route: 'default',
  protocol: 'cesbo',
  caller: '10.0.0.1',
  ip: '203.0.113.7',
  session,
  reason: 'on_stop',
  ...more,
});
