import { describe, expect, it } from 'vitest';
import { reloadedEverywhere } from '../../src/cluster/groupReload.js';
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
const memberWhoseOthers = (reloadOthers: () => Promise<readonly object[]>) =>
  ({ slot: 1, reloadOthers }) as unknown as GroupMember;

describe('reloadedEverywhere', () => {
  it("answers the lead's outcome with each worker's result", async () => {
    const member = memberWhoseOthers(async () => [{ slot: 2, result: 'ok' }]);
    expect((await reloadedEverywhere(Promise.resolve(own), member)).workers).toEqual([
      { slot: 1, result: 'ok' },
      { slot: 2, result: 'ok' },
    ]);
  });

  it("says the others' outcome is unknown, not failed, when the primary does not answer", async () => {
    const member = memberWhoseOthers(() => Promise.reject(new Error('reloadOthers: no answer within 15000 ms')));
    const outcome = await reloadedEverywhere(Promise.resolve(own), member);
    expect(outcome.result).toBe('ok');
    expect(outcome.workers).toEqual([
      { slot: 1, result: 'ok' },
      { result: 'unknown', error: 'the primary did not answer: reloadOthers: no answer within 15000 ms' },
    ]);
  });
});
