import type { DecisionSource } from '../src/pipeline/decision.js';
import type { TrackedCheck } from '../src/sessions/trackedCheck.js';

/**
 * A cached allow of session `n` as the tracker hears it: ten channels, a thousand users;
 * `limited`: the backend names the user and a limit (X-UserId, X-Max-Sessions).
 */
export function sessionCheck(n: number, source: DecisionSource, limited = false): TrackedCheck {
  return {
    route: 'default',
    protocol: 'cesbo',
    caller: '127.0.0.1',
    by: 'backend',
    viewer: { session: `s${n}`, channel: `ch${n % 10}`, ip: '203.0.113.7', userAgent: 'VLC/3.0', token: `t${n}` },
    decision: {
      allow: true,
      source,
      sessionName: `user${n % 1000}`,
      answer: limited ? { userId: `${n % 1000}`, maxSessions: 2 } : undefined,
    },
  };
}
