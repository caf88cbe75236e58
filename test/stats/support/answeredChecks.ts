import type { CheckAnswered } from '../../../src/observe.js';
import { sketched } from '../../support/decisions.js';

/** A check as the request listener tells the statistics' observer of it (user 5, token `abc`). */
export const answeredCheck = (session: string, channel: string, allow = true): CheckAnswered => ({
  route: 'default',
  protocol: 'flussonic',
  caller: '127.0.0.1',
  viewer: { dialect: 'flussonic', rawQuery: 'token=abc', token: 'abc', session, channel, ip: '203.0.113.7' },
  decision: sketched({ allow, decidedBy: 'backend:mw', ttlSeconds: 60, userId: '5' }),
  outcome: allow ? 'allow' : 'deny',
  by: 'backend',
  cache: 'miss',
  status: allow ? 200 : 403,
  durationMs: 2,
});
