import { describe, expect, it } from 'vitest';
import { composeNow, composeWaiting, type NamedStep } from '../../src/pipeline/compose.js';
import { DEFAULT_SOURCE, policySource, type StepAnswer } from '../../src/pipeline/decision.js';
import type { Check, DecisionStep } from '../../src/pipeline/types.js';
import { atOnce } from '../../src/pipeline/steps/atOnce.js';

const check: Check = {
  route: 'default',
  viewer: { dialect: 'cesbo', rawQuery: '', ip: '203.0.113.7' },
  startBudget: () => Infinity,
};
const last: StepAnswer = { allow: false, source: DEFAULT_SOURCE };
const denied: StepAnswer = { allow: false, source: policySource('ip-rule', 'deny 203.0.113.7') };
const passes = atOnce(() => undefined);
const decides = atOnce(() => denied);

describe('composing the decision order', () => {
  it('runs the steps in order both ways, the default last', async () => {
    const steps: NamedStep[] = [
      ['publish', passes],
      ['ip-rules', decides],
    ];
    expect(await composeWaiting(steps, last)(check)).toBe(denied);
    expect(composeNow(steps, last)!(check)).toBe(denied);
    expect(composeNow([['publish', passes]], last)!(check)).toBe(last);
    expect(await composeWaiting([], last)(check)).toBe(last);
  });

  it('has no immediate path when a step always waits', () => {
    const waits: DecisionStep = (c, next) => next(c);
    expect(
      composeNow(
        [
          ['publish', passes],
          ['backends', waits],
        ],
        last,
      ),
    ).toBeUndefined();
  });

  it('hands on a step saying it would wait', () => {
    const wouldWait: DecisionStep = (c, next) => next(c);
    wouldWait.now = () => undefined;
    expect(
      composeNow(
        [
          ['cache', wouldWait],
          ['ip-rules', decides],
        ],
        last,
      )!(check),
    ).toBeUndefined();
  });
});
