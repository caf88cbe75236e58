import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionAdmitter } from '../../../src/pipeline/admission.js';
import { DEFAULT_SOURCE, type StepAnswer } from '../../../src/pipeline/decision.js';
import { localUsersStep } from '../../../src/pipeline/steps/localUserCheck.js';
import type { DecisionStep } from '../../../src/pipeline/types.js';
import { openLocalUsers } from '../../../src/policies/users/localUsers.js';
import type { Store } from '../../../src/store/types.js';
import type { ViewerRequest } from '../../../src/viewer.js';
import { memoryLogger } from '../../support/bridge.js';
import { checkOf, nextAnswering, stepInputsFrom } from '../../support/stepInputs.js';

const PASSED_ON: StepAnswer = { allow: false, source: DEFAULT_SOURCE };
const HASHED = bcrypt.hashSync('hashed-secret', 4);
const NOW = Date.UTC(2026, 0, 1);

/** The local-users step over real local users and a real memory store, on route `default`. */
function userStep(storeOf: (store: Store) => Store = (store) => store) {
  const context = stepInputsFrom({
    packages: { basic: ['a001'] },
    users: [
      { login: 'bytoken', token: 'tok-1', packages: ['basic'] },
      { login: 'plain', password: 'plain-secret', packages: ['basic'] },
      { login: 'hashed', password: HASHED, packages: ['basic'] },
      { login: 'limited', token: 'tok-limited', packages: ['basic'], maxConnections: 1 },
      { login: 'expired', token: 'tok-expired', packages: ['basic'], expires: NOW / 1000 - 1 },
    ],
  });
  const users = openLocalUsers(context.config, memoryLogger([]));
  const step = localUsersStep({
    users,
    admit: sessionAdmitter(storeOf(context.store), 60),
    allowTtl: 300,
    denyRedirect: undefined,
    now: () => NOW,
  }) as DecisionStep;
  const cleanup = () => {
    users.close();
    context.close();
  };
  return { step, cleanup };
}

let cleanup = () => {};
afterEach(() => cleanup());

function at(viewer: Partial<ViewerRequest>) {
  return checkOf({ channel: 'a001', ip: '203.0.113.7', ...viewer });
}

describe('local users answered at once', () => {
  it('decides a token, a plain password, an expired account and a connection limit without waiting', () => {
    const made = userStep();
    cleanup = made.cleanup;
    const now = made.step.now!;
    const next = () => undefined;
    expect(now(at({ token: 'tok-1' }), next)).toMatchObject({ allow: true, sessionName: 'bytoken', ttlSeconds: 300 });
    expect(now(at({ credentials: { login: 'plain', password: 'plain-secret' } }), next)).toMatchObject({
      allow: true,
      sessionName: 'plain',
    });
    expect(now(at({ token: 'tok-expired' }), next)).toMatchObject({
      allow: false,
      source: { by: 'user:expired (expired)' },
    });
    expect(now(at({ token: 'tok-limited', session: 's1' }), next)).toMatchObject({
      allow: true,
      countedAs: { user: 'local:limited', limit: 1 },
    });
    expect(now(at({ token: 'tok-limited', session: 's2' }), next)).toMatchObject({
      allow: false,
      source: { by: 'user:limited (over connection limit)' },
    });
  });

  it('counts the same session id from another streaming server, caller protocol or viewer address as another session', async () => {
    const made = userStep();
    cleanup = made.cleanup;
    const limited = { token: 'tok-limited', session: '1', caller: '192.0.2.10', dialect: 'nginx-rtmp' } as const;
    const next = nextAnswering({ allow: false, source: DEFAULT_SOURCE });
    expect((await made.step(at(limited), next)).allow).toBe(true);
    for (const other of [{ caller: '192.0.2.11' }, { dialect: 'cesbo' }, { ip: '203.0.113.8' }] as const)
      expect((await made.step(at({ ...limited, ...other }), next)).source.by).toBe(
        'user:limited (over connection limit)',
      );
    expect((await made.step(at(limited), next)).allow).toBe(true);
  });

  it('passes an unknown token, a wrong plain password and no name at all on to the next step at once', () => {
    const made = userStep();
    cleanup = made.cleanup;
    const seen: string[] = [];
    const next = (check: { viewer: ViewerRequest }) => {
      seen.push(check.viewer.token ?? check.viewer.credentials?.login ?? '-');
      return PASSED_ON;
    };
    const now = made.step.now!;
    expect(now(at({ token: 'unknown' }), next)).toBe(PASSED_ON);
    expect(now(at({ credentials: { login: 'plain', password: 'wrong' } }), next)).toBe(PASSED_ON);
    expect(now(at({}), next)).toBe(PASSED_ON);
    expect(seen).toEqual(['unknown', 'plain', '-']);
  });

  it('waits for a hashed password the first time, then answers it at once while the result is remembered', async () => {
    const made = userStep();
    cleanup = made.cleanup;
    const right = at({ credentials: { login: 'hashed', password: 'hashed-secret' } });
    const wrong = at({ credentials: { login: 'hashed', password: 'guess' } });
    const next = nextAnswering(PASSED_ON);
    expect(made.step.now!(right, () => undefined)).toBeUndefined();
    expect(made.step.now!(wrong, () => undefined)).toBeUndefined();
    expect(await made.step(right, next)).toMatchObject({ allow: true, sessionName: 'hashed' });
    expect(await made.step(wrong, next)).toBe(PASSED_ON);
    expect(made.step.now!(right, () => undefined)).toMatchObject({ allow: true, sessionName: 'hashed' });
    expect(made.step.now!(wrong, () => PASSED_ON)).toBe(PASSED_ON);
  });

  it('waits for a connection limit whose counts are not in this process (no immediate count)', async () => {
    // As on Redis: the memory store without its immediate count.
    const made = userStep((store) => ({ ...store, admitSessionNow: undefined }));
    cleanup = made.cleanup;
    const limited = at({ token: 'tok-limited', session: 's1' });
    expect(made.step.now!(limited, () => undefined)).toBeUndefined();
    expect(made.step.now!(at({ token: 'tok-1', session: 's1' }), () => undefined)).toMatchObject({ allow: true });
    expect(await made.step(limited, nextAnswering(PASSED_ON))).toMatchObject({ allow: true, countedAs: { limit: 1 } });
  });
});
