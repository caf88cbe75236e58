import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SOURCE, type StepAnswer } from '../../../src/pipeline/decision.js';
import { ipRulesStep } from '../../../src/pipeline/steps/ipRules.js';
import type { DecisionStep } from '../../../src/pipeline/types.js';
import { checkOf, nextAnswering, stepInputsFrom } from '../../support/stepInputs.js';

// The README's example rules: one address let in, one refused, a range handed on to the checks
// after, and every other address refused.
const inputs = stepInputsFrom({ ipRules: ['allow 127.0.0.1', 'deny 192.0.2.66', 'pass 192.0.2.0/24', 'deny any'] });
afterAll(() => inputs.close());

const PASSED_ON: StepAnswer = { allow: false, source: DEFAULT_SOURCE };
const step = ipRulesStep({ rules: inputs.config.ipRules, denyRedirect: 'http://promo.example/' }) as DecisionStep;

describe('ipRulesStep', () => {
  it('is no step at all without rules', () => {
    expect(ipRulesStep({ rules: [], denyRedirect: undefined })).toBeUndefined();
  });

  it('allow lets the viewer in without asking the steps after, naming the rule', async () => {
    const next = nextAnswering(PASSED_ON);
    expect(await step(checkOf({ ip: '127.0.0.1' }), next)).toEqual({
      allow: true,
      source: { kind: 'policy', policy: 'ip-rule', subject: undefined, by: 'ip-rule (allow 127.0.0.1)' },
    });
    expect(next.calls).toBe(0);
  });

  it("deny refuses with the route's redirect, the first matching rule named", async () => {
    const next = nextAnswering(PASSED_ON);
    expect(await step(checkOf({ ip: '192.0.2.66', token: 'any-token' }), next)).toMatchObject({
      allow: false,
      redirect: 'http://promo.example/',
      source: { by: 'ip-rule (deny 192.0.2.66)' },
    });
    expect(await step(checkOf({ ip: '198.51.100.1' }), next)).toMatchObject({ source: { by: 'ip-rule (deny any)' } });
    expect(next.calls).toBe(0);
  });

  it('pass, and a check without a viewer IP, go on to the next step', async () => {
    const next = nextAnswering(PASSED_ON);
    expect(await step(checkOf({ ip: '192.0.2.7' }), next)).toBe(PASSED_ON);
    expect(await step(checkOf({}), next)).toBe(PASSED_ON);
    expect(next.calls).toBe(2);
  });

  it('answers the same on the immediate path, and passes on there too', async () => {
    const passedOn = () => undefined;
    for (const ip of ['127.0.0.1', '192.0.2.66', '198.51.100.1'])
      expect(step.now!(checkOf({ ip }), passedOn)).toEqual(await step(checkOf({ ip }), nextAnswering(PASSED_ON)));
    expect(step.now!(checkOf({ ip: '192.0.2.7' }), passedOn)).toBeUndefined();
  });
});
