import { describe, expect, it } from 'vitest';
import { audited } from '../../src/admin/audit.js';
import { fingerprint } from '../../src/secrets.js';
import { memoryLogger } from '../support/bridge.js';
import { logLines } from '../support/logLines.js';

function logged() {
  const lines: string[] = [];
  return { log: memoryLogger(lines), lines: () => logLines(lines.join('\n')) };
}

const TOKEN = 'viewer-token-Secret-42';

describe('audited admin actions', () => {
  it('logs a revoke with whom it named (a token as its fingerprint only) and what it dropped', async () => {
    const { log, lines } = logged();
    const actions = audited(
      {
        revoke: async () => ({
          decisions: 3,
          bindings: 1,
          sessions: 2,
          complete: true,
          closed: [{ server: 'flussonic', route: 'tv', session: 's1', user: 'alice' }],
        }),
      },
      log,
    );
    const answer = await actions.revoke!({ token: TOKEN });
    expect(answer).toMatchObject({ decisions: 3, closed: [{ session: 's1' }] });
    await actions.revoke!({ login: 'alice' });
    await actions.revoke!({ userId: '1042' });
    expect(lines()).toMatchObject([
      {
        level: 'info',
        message: 'revoked',
        token: fingerprint(TOKEN),
        decisions: 3,
        bindings: 1,
        sessions: 2,
        complete: true,
        closed: 1,
      },
      { message: 'revoked', login: 'alice' },
      { message: 'revoked', userId: '1042' },
    ]);
    expect(JSON.stringify(lines())).not.toContain(TOKEN);
  });

  it('logs a flush of one route and of all, with what it dropped', async () => {
    const { log, lines } = logged();
    const actions = audited({ flush: async (route) => ({ decisions: route ? 2 : 7, complete: false }) }, log);
    await actions.flush!('tv');
    await actions.flush!(undefined);
    expect(lines()).toMatchObject([
      { level: 'info', message: 'cache flushed', route: 'tv', decisions: 2, complete: false },
      { level: 'info', message: 'cache flushed', route: '(all)', decisions: 7 },
    ]);
  });

  it('logs a failed revoke or flush at warn with the reason, and still fails it', async () => {
    const { log, lines } = logged();
    const actions = audited(
      {
        revoke: async () => Promise.reject(new Error('store closed')),
        flush: async () => Promise.reject(new Error('store closed')),
      },
      log,
    );
    await expect(actions.revoke!({ token: TOKEN })).rejects.toThrow('store closed');
    await expect(actions.flush!('tv')).rejects.toThrow('store closed');
    expect(lines()).toMatchObject([
      { level: 'warn', message: 'revoke failed', token: fingerprint(TOKEN), error: 'store closed' },
      { level: 'warn', message: 'cache flush failed', route: 'tv', error: 'store closed' },
    ]);
    expect(JSON.stringify(lines())).not.toContain(TOKEN);
  });

  it('leaves out what the bridge cannot do', () => {
    const { log } = logged();
    const actions = audited({}, log);
    expect(actions.revoke).toBeUndefined();
    expect(actions.flush).toBeUndefined();
  });
});
