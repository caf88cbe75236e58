import type { Logger } from '../log.js';
import { fingerprint } from '../secrets.js';
import type { AdminActions, RevokeTarget } from './actions.js';

/** Whom a revoke named, as the log may show it: a token only as its fingerprint, as decision lines show it. */
function named(target: RevokeTarget): Record<string, string> {
  if ('token' in target) return { token: fingerprint(target.token) };
  return 'login' in target ? { login: target.login } : { userId: target.userId };
}

/** What an answer says was dropped: its counts and `complete`, with the sessions closed counted, not listed. */
function dropped(answer: object): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(answer)) {
    if (typeof value === 'number' || typeof value === 'boolean') fields[name] = value;
    else if (Array.isArray(value)) fields[name] = value.length;
  }
  return fields;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Revoke and flush change what every later check is answered, so each leaves a line in the log (an
 * operator asks afterwards who was revoked when, and what it dropped), as each reload does: `revoked`
 * and `cache flushed` at info, or `revoke failed` / `cache flush failed` at warn with the reason.
 */
export function audited(actions: AdminActions, log: Logger): AdminActions {
  const { revoke, flush } = actions;
  return {
    ...actions,
    revoke:
      revoke &&
      (async (target) => {
        try {
          const answer = await revoke(target);
          log.info('revoked', { ...named(target), ...dropped(answer) });
          return answer;
        } catch (error) {
          log.warn('revoke failed', { ...named(target), error: reason(error) });
          throw error;
        }
      }),
    flush:
      flush &&
      (async (route) => {
        const which = { route: route ?? '(all)' };
        try {
          const answer = await flush(route);
          log.info('cache flushed', { ...which, ...dropped(answer) });
          return answer;
        } catch (error) {
          log.warn('cache flush failed', { ...which, error: reason(error) });
          throw error;
        }
      }),
  };
}
