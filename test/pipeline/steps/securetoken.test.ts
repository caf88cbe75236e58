import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SOURCE, type StepAnswer } from '../../../src/pipeline/decision.js';
import { securetokenStep } from '../../../src/pipeline/steps/securetoken.js';
import type { DecisionStep } from '../../../src/pipeline/types.js';
import { signSecuretoken } from '../../../src/policies/securetoken.js';
import type { ViewerRequest } from '../../../src/viewer.js';
import { checkOf, nextAnswering, stepInputsFrom } from '../../support/stepInputs.js';

const SECRET = 'link-s3cret';
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z, in the unix seconds a link's times are written in
const PATH = '/tv/sport/index.m3u8';
const IP = '203.0.113.7';
const PASSED_ON: StepAnswer = { allow: false, source: DEFAULT_SOURCE };

const inputs = stepInputsFrom({ securetoken: { secret: SECRET }, cache: { allowTtl: 300 } });
const byChannel = stepInputsFrom({ securetoken: { secret: SECRET, hash: 'channel' } });
afterAll(async () => {
  await inputs.close();
  await byChannel.close();
});

/** The step as the pipeline builds it, on a clock stopped at NOW. */
function stepOf(settings = inputs.config.securetoken): DecisionStep {
  const allowTtl = inputs.config.cache.allowTtl;
  return securetokenStep({ settings, allowTtl, denyRedirect: 'http://promo.example/', now: () => NOW * 1000 })!;
}

/** A link signed for `subject` and IP, valid from `start` to `end`. */
const link = (subject: string, start: number, end: number, ip = IP) =>
  signSecuretoken({ subject, ip, start, end, secret: SECRET, salt: 'a5cd6c00' });

const viewer = (more: Partial<ViewerRequest>) => checkOf({ ip: IP, path: PATH, channel: 'sport', ...more });

describe('securetokenStep', () => {
  it('is no step at all without securetoken settings', () => {
    expect(securetokenStep({ settings: undefined, allowTtl: 300, denyRedirect: undefined, now: Date.now })).toBe(
      undefined,
    );
  });

  it('allows a valid link for no longer than it has left, nor than cache.allowTtl', async () => {
    const step = stepOf();
    const next = nextAnswering(PASSED_ON);
    expect(await step(viewer({ token: link(PATH, NOW - 60, NOW + 90) }), next)).toEqual({
      allow: true,
      source: { kind: 'policy', policy: 'securetoken', subject: undefined, by: 'securetoken' },
      ttlSeconds: 90,
    });
    expect(await step(viewer({ token: link(PATH, NOW - 60, NOW + 3600) }), next)).toMatchObject({ ttlSeconds: 300 });
    // A link ending this very second still holds one second, never a zero TTL.
    expect(await step(viewer({ token: link(PATH, NOW - 60, NOW) }), next)).toMatchObject({ ttlSeconds: 1 });
    expect(next.calls).toBe(0);
  });

  it("refuses a link of the securetoken form that fails, with the route's redirect and the reason", async () => {
    const step = stepOf();
    const next = nextAnswering(PASSED_ON);
    const refused = async (more: Partial<ViewerRequest>) => (await step(viewer(more), next)) as StepAnswer;
    expect(await refused({ token: link(PATH, NOW - 7200, NOW - 60) })).toMatchObject({
      allow: false,
      redirect: 'http://promo.example/',
      source: { by: 'securetoken (expired)' },
    });
    expect((await refused({ token: link(PATH, NOW - 60, NOW + 60, '198.51.100.1') })).source.by).toBe(
      'securetoken (bad signature)',
    );
    expect((await refused({ token: link('/tv/other/index.m3u8', NOW, NOW + 60) })).source.by).toBe(
      'securetoken (bad signature)',
    );
    expect((await refused({ token: link(PATH, NOW, NOW + 60), path: undefined })).source.by).toBe(
      'securetoken (no path to check)',
    );
    expect((await refused({ token: link(PATH, NOW, NOW + 60), ip: undefined })).source.by).toBe(
      'securetoken (no viewer IP to check)',
    );
    expect(next.calls).toBe(0);
  });

  it('signs the channel id with hash: channel, and needs one', async () => {
    const step = stepOf(byChannel.config.securetoken);
    const next = nextAnswering(PASSED_ON);
    expect(await step(viewer({ token: link('sport', NOW, NOW + 60) }), next)).toMatchObject({ allow: true });
    expect(await step(viewer({ token: link('sport', NOW, NOW + 60), channel: undefined }), next)).toMatchObject({
      allow: false,
      source: { by: 'securetoken (no channel to check)' },
    });
  });

  it('hands any other token, or none, to the next step', async () => {
    const step = stepOf();
    const next = nextAnswering(PASSED_ON);
    expect(await step(viewer({ token: 'plain-middleware-token' }), next)).toBe(PASSED_ON);
    expect(await step(viewer({}), next)).toBe(PASSED_ON);
    expect(next.calls).toBe(2);
  });

  it('answers the same on the immediate path', async () => {
    const step = stepOf();
    for (const token of [link(PATH, NOW - 60, NOW + 90), link(PATH, NOW - 7200, NOW - 60)])
      expect(step.now!(viewer({ token }), () => undefined)).toEqual(
        await step(viewer({ token }), nextAnswering(PASSED_ON)),
      );
    expect(step.now!(viewer({ token: 'plain-middleware-token' }), () => undefined)).toBeUndefined();
  });
});
