import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { backendSource, DEFAULT_SOURCE, policySource, type StepAnswer } from '../../src/pipeline/decision.js';
import type { RouteSettings } from '../../src/pipeline/pipeline.js';
import type { Check, DecisionStep } from '../../src/pipeline/types.js';
import { stepRecorder } from '../../src/trace/stepRecorder.js';

const config = validateConfig({}, 'test', {});
const context: RouteSettings = { name: 'default', route: config.routes.default!, securetoken: config.securetoken };
const check: Check = {
  route: 'default',
  viewer: { dialect: 'cesbo', rawQuery: '', ip: '203.0.113.7', session: 's1' },
  startBudget: () => Infinity,
};

/** A clock that moves only when told, so each step's own time is exact. */
function manualClock() {
  let ms = 0;
  return { now: () => ms, advance: (by: number) => (ms += by) };
}

describe('stepRecorder', () => {
  it('tells deciding, passing on and overruling apart, each with its own time', async () => {
    const clock = manualClock();
    const { wrapStep, steps } = stepRecorder((text) => text, clock.now);
    const overrules: DecisionStep = async (c, next) => {
      clock.advance(2);
      const later = await next(c);
      clock.advance(3);
      return later.allow ? { allow: false, source: policySource('connection-limit') } : later;
    };
    const passes: DecisionStep = (c, next) => {
      clock.advance(7);
      return next(c);
    };
    const decides: DecisionStep = () => {
      clock.advance(11);
      return Promise.resolve<StepAnswer>({ allow: true, source: backendSource('mw'), sessionName: 'alice' });
    };
    const run = wrapStep('connection-limit', overrules, context);
    const middle = wrapStep('token-binding', passes, context);
    const last = wrapStep('backends', decides, context);
    const verdict = await run(check, (c) => middle(c, (d) => last(d, () => Promise.reject(new Error('not reached')))));

    expect(verdict).toEqual({ allow: false, source: policySource('connection-limit') });
    expect(steps()).toEqual([
      {
        step: 'connection-limit',
        saw: { session: 's1' },
        result: 'overruled',
        verdict: expect.objectContaining({ allow: false, by: 'connection-limit' }),
        note: expect.any(String),
        durationMs: 5,
      },
      { step: 'token-binding', saw: { ip: '203.0.113.7' }, result: 'passed', note: expect.any(String), durationMs: 7 },
      {
        step: 'backends',
        saw: { backends: '', mode: 'any' },
        result: 'decided',
        verdict: expect.objectContaining({ allow: true, by: 'backend:mw', sessionName: 'alice' }),
        note: undefined,
        durationMs: 11,
      },
    ]);
  });

  it('masks the secrets of a path it saw: its secret-named parameters and the known secrets', async () => {
    const { wrapStep, steps } = stepRecorder(
      (text) => text.replaceAll('KNOWN-s3cret', '***'),
      () => 0,
    );
    const viewer = { ...check.viewer, path: '/play/a001/KNOWN-s3cret/index.m3u8?token=PATHTOK&md5=PATHMD5&lang=en' };
    const passes: DecisionStep = (c, next) => next(c);
    await wrapStep(
      'securetoken',
      passes,
      context,
    )({ ...check, viewer }, () => Promise.resolve({ allow: false, source: DEFAULT_SOURCE }));
    expect(steps()[0]!.saw).toEqual({ ip: '203.0.113.7', path: '/play/a001/***/index.m3u8?token=***&md5=***&lang=en' });
  });

  it('replaces the cache step by one that passes on without touching the store', async () => {
    const { wrapStep, steps } = stepRecorder(
      (text) => text,
      () => 0,
    );
    const cache: DecisionStep = () => Promise.reject(new Error('the cache must not run in a trace'));
    const verdict = await wrapStep(
      'cache',
      cache,
      context,
    )(check, () => Promise.resolve({ allow: false, source: DEFAULT_SOURCE }));
    expect(verdict).toEqual({ allow: false, source: DEFAULT_SOURCE });
    expect(steps()).toEqual([
      { step: 'cache', saw: {}, result: 'skipped', note: 'a trace never reads or writes the cache', durationMs: 0 },
    ]);
  });

  it("says that the steps that count or bind look in the trace's own empty store, not the running bridge's", async () => {
    const { wrapStep, steps } = stepRecorder(
      (text) => text,
      () => 0,
    );
    const passes: DecisionStep = (c, next) => next(c);
    const end = () => Promise.resolve<StepAnswer>({ allow: false, source: DEFAULT_SOURCE });
    for (const name of ['local-users', 'connection-limit', 'token-binding'] as const)
      await wrapStep(name, passes, context)(check, end);
    expect(steps().map(({ step, note }) => [step, note])).toEqual([
      ['local-users', "counts a user's maxConnections in the trace's own empty store, not the running bridge's"],
      ['connection-limit', "counts sessions in the trace's own empty store, not the running bridge's"],
      ['token-binding', "looks bindings up in the trace's own empty store, not the running bridge's"],
    ]);
  });
});
