import { describe, expect, it } from 'vitest';
import { RELOADED_UNALIKE, reloadedEverywhere, type WorkerReload } from '../../src/cluster/groupReload.js';
import type { GroupMember } from '../../src/cluster/member.js';
import type { ReloadOutcome } from '../../src/lifecycle/reload.js';

const own: ReloadOutcome = {
  result: 'ok',
  trigger: 'admin',
  file: 'bridge.yaml',
  at: '2026-12-03T10:00:00.000Z',
  problems: [],
  restartNeeded: [],
};
const memberWhoseOthers = (reloadOthers: () => Promise<readonly WorkerReload[]>) =>
  ({ slot: 1, reloadOthers }) as unknown as GroupMember;

/** A warn callback and what it was told. */
function warnings() {
  const told: { message: string; workers: readonly WorkerReload[] }[] = [];
  const warn = (message: string, fields: { workers: readonly WorkerReload[] }) =>
    told.push({ message, workers: fields.workers });
  return { told, warn };
}

describe('reloadedEverywhere', () => {
  it("answers the lead's outcome with each worker's result, and warns of nothing when all are alike", async () => {
    const member = memberWhoseOthers(async () => [{ slot: 2, result: 'ok' }]);
    const { told, warn } = warnings();
    expect((await reloadedEverywhere(Promise.resolve(own), member, warn)).workers).toEqual([
      { slot: 1, result: 'ok' },
      { slot: 2, result: 'ok' },
    ]);
    expect(told).toEqual([]);
  });

  it('warns, naming each result, when another worker reloaded otherwise than the lead', async () => {
    const member = memberWhoseOthers(async () => [
      { slot: 2, result: 'invalid' },
      { slot: 3, result: 'failed', error: 'reload: no answer within 10000 ms' },
    ]);
    const { told, warn } = warnings();
    await reloadedEverywhere(Promise.resolve(own), member, warn);
    expect(told).toEqual([
      {
        message: RELOADED_UNALIKE,
        workers: [
          { slot: 1, result: 'ok' },
          { slot: 2, result: 'invalid' },
          { slot: 3, result: 'failed', error: 'reload: no answer within 10000 ms' },
        ],
      },
    ]);
  });

  it('answers a lone process its own outcome, with no workers and no warning', async () => {
    const { told, warn } = warnings();
    expect(await reloadedEverywhere(Promise.resolve(own), undefined, warn)).toEqual(own);
    expect(told).toEqual([]);
  });

  it("says the others' outcome is unknown, not failed, when the primary does not answer", async () => {
    const member = memberWhoseOthers(() => Promise.reject(new Error('reloadOthers: no answer within 15000 ms')));
    const { told, warn } = warnings();
    const outcome = await reloadedEverywhere(Promise.resolve(own), member, warn);
    expect(outcome.result).toBe('ok');
    expect(outcome.workers).toEqual([
      { slot: 1, result: 'ok' },
      { result: 'unknown', error: 'the primary did not answer: reloadOthers: no answer within 15000 ms' },
    ]);
    expect(told.map(({ message }) => message)).toEqual([RELOADED_UNALIKE]);
  });
});
