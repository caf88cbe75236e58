import { afterEach, describe, expect, it } from 'vitest';
import { tokenBindingStep } from '../../../src/pipeline/steps/tokenBinding.js';
import { policySource } from '../../../src/pipeline/decision.js';
import { lifetimeOf } from '../../../src/pipeline/lifetime.js';
import type { Check } from '../../../src/pipeline/types.js';
import { sketched } from '../../support/decisions.js';
import { checkAsAstra, decisionsOf, useCesboBridges } from '../../support/cesboBridges.js';
import { useReplayedMiddleware } from '../../support/replayedMiddleware.js';
import { checkOf, nextAnswering, stepInputsFrom } from '../../support/stepInputs.js';

const ALLOWED = sketched({ allow: true, decidedBy: 'backend:portal' });
const DENIED = sketched({ allow: false, decidedBy: 'backend:portal' });

const contexts: ReturnType<typeof stepInputsFrom>[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

/** The step of a route whose one backend binds tokens (or not). */
function bindingStep(bindTokenToIp = true, forgetCached?: (check: Check) => void) {
  const context = stepInputsFrom({
    backends: { portal: { type: 'http', url: 'http://127.0.0.1:9/check', bindTokenToIp } },
    routes: { default: { backends: ['portal'], denyRedirect: 'http://promo.example.com/' } },
  });
  contexts.push(context);
  const { config, route, store } = context;
  // As pipeline.ts picks them for the route.
  return tokenBindingStep({
    binding: new Set(route.backends.filter((name) => config.backends[name]!.bindTokenToIp)),
    store,
    lifetime: (answer) => lifetimeOf(config.cache, answer),
    denyRedirect: route.denyRedirect,
    forgetCached,
  });
}

const from = (ip: string, token = 'tok-1') => checkOf({ ip, token });

describe('tokenBindingStep', () => {
  it('is left out when no backend of the route binds tokens', () => {
    expect(bindingStep(false)).toBeUndefined();
  });

  it('denies a token allowed for one IP from another, without asking further', async () => {
    const step = bindingStep()!;
    expect(await step(from('203.0.113.1'), nextAnswering(ALLOWED))).toBe(ALLOWED);
    const next = nextAnswering(ALLOWED);
    expect(await step(from('198.51.100.9'), next)).toEqual({
      allow: false,
      source: policySource('token-binding'),
      redirect: 'http://promo.example.com/',
    });
    expect(next.calls).toBe(0);
  });

  it('keeps letting the bound IP in, and other tokens stay free', async () => {
    const step = bindingStep()!;
    await step(from('203.0.113.1'), nextAnswering(ALLOWED));
    expect(await step(from('203.0.113.1'), nextAnswering(ALLOWED))).toBe(ALLOWED);
    expect(await step(from('198.51.100.9', 'tok-2'), nextAnswering(ALLOWED))).toBe(ALLOWED);
  });

  it('binds only allows a binding backend gave: not denies, cached answers or other steps', async () => {
    const step = bindingStep()!;
    for (const verdict of [
      DENIED,
      { ...ALLOWED, cache: 'hit' as const },
      sketched({ allow: true, decidedBy: 'default' }),
      sketched({ allow: true, decidedBy: 'backend:other' }),
    ]) {
      await step(from('203.0.113.1'), nextAnswering(verdict));
    }
    expect(await step(from('198.51.100.9'), nextAnswering(ALLOWED))).toBe(ALLOWED);
  });

  it('passes a check without a token or an IP straight on', async () => {
    const step = bindingStep()!;
    const next = nextAnswering(ALLOWED);
    expect(await step(checkOf({ ip: '203.0.113.1' }), next)).toBe(ALLOWED);
    expect(await step(checkOf({ token: 'tok-1' }), next)).toBe(ALLOWED);
    expect(next.calls).toBe(2);
    expect(await step(from('198.51.100.9'), nextAnswering(ALLOWED))).toBe(ALLOWED);
  });

  it('refuses a bound token checked with no IP, without asking further', async () => {
    const step = bindingStep()!;
    await step(from('203.0.113.1'), nextAnswering(ALLOWED));
    const next = nextAnswering(ALLOWED);
    expect(await step(checkOf({ token: 'tok-1' }), next)).toMatchObject({
      allow: false,
      source: policySource('token-binding'),
    });
    let nowCalls = 0;
    const nextNow = () => {
      nowCalls++;
      return ALLOWED;
    };
    expect(step.now!(checkOf({ token: 'tok-1' }), nextNow)).toMatchObject({ allow: false });
    expect(next.calls + nowCalls).toBe(0);
  });

  it('of two IPs allowed at the same moment, lets only the first to claim the token keep it', async () => {
    const step = bindingStep()!;
    const answers = await Promise.all([
      step(from('203.0.113.1'), nextAnswering(ALLOWED)),
      step(from('198.51.100.9'), nextAnswering(ALLOWED)),
    ]);
    expect(answers.map((answer) => answer.allow)).toEqual([true, false]);
    expect(answers[1]).toMatchObject({ source: { kind: 'policy', policy: 'token-binding' } });
  });

  it("forgets the cached allow of the IP that lost the claim, and no other's", async () => {
    const forgotten: string[] = [];
    const step = bindingStep(true, (check) => forgotten.push(check.viewer.ip!))!;
    await Promise.all([
      step(from('203.0.113.1'), nextAnswering(ALLOWED)),
      step(from('198.51.100.9'), nextAnswering(ALLOWED)),
    ]);
    await step(from('198.51.100.10'), nextAnswering(ALLOWED));
    // The second was refused after its allow was cached; the third before anything was asked or cached.
    expect(forgotten).toEqual(['198.51.100.9']);
  });
});

describe('token binding in a bridge', () => {
  const middleware = useReplayedMiddleware('http', { perTest: true });
  const bridgeWith = useCesboBridges(middleware);

  it('denies a token from another IP while its allow lives, without asking the middleware', async () => {
    const bridge = bridgeWith({ backend: { bindTokenToIp: true } });
    await checkAsAstra(bridge, 'good-token', '203.0.113.1').expect(200);
    await checkAsAstra(bridge, 'good-token', '198.51.100.9')
      .expect(403)
      .expect('X-Location', 'http://promo.example.com/');
    await checkAsAstra(bridge, 'good-token', '203.0.113.1', 'a002').expect(200);
    expect(middleware.received).toHaveLength(2);
    expect(decisionsOf(bridge)[1]).toMatchObject({ decision: 'deny', by: 'token-binding' });
  });

  it('lets only one of two IPs checked at the same moment keep the token, and keeps letting that one in', async () => {
    const bridge = bridgeWith({ backend: { bindTokenToIp: true } });
    const ips = Array.from({ length: 10 }, (_, i) => `198.51.100.${i + 1}`);
    const first = await Promise.all(ips.map((ip) => checkAsAstra(bridge, 'busy-token', ip)));
    const allowed = ips.filter((_, i) => first[i]!.status === 200);
    expect(allowed).toHaveLength(1);
    for (const ip of ips) await checkAsAstra(bridge, 'busy-token', ip).expect(ip === allowed[0] ? 200 : 403);
    // Only the winner's allow stays cached: a refused IP's would answer for it, stale, once the binding has ended
    // and the middleware fails.
    expect(await bridge.bridge.revoke({ token: 'busy-token' })).toMatchObject({ decisions: 1, bindings: 1 });
  });

  it('still binds a token when the memory store is full: the binding makes room, dropping the oldest entry', async () => {
    const bridge = bridgeWith({ cache: { maxEntries: 3 }, backend: { bindTokenToIp: true } });
    // good-token: its decision and binding; userid-token's decision fills the store, its binding must still be kept.
    await checkAsAstra(bridge, 'good-token', '203.0.113.1').expect(200);
    await checkAsAstra(bridge, 'userid-token', '203.0.113.1').expect(200);
    expect(bridge.bridge.health().store.detail).toMatch(/3 of 3 entries \(full/);
    await checkAsAstra(bridge, 'userid-token', '198.51.100.9').expect(403);
    expect(decisionsOf(bridge).at(-1)).toMatchObject({ decision: 'deny', by: 'token-binding' });
  });

  it('binds nothing when bindTokenToIp is off (the default for http)', async () => {
    const bridge = bridgeWith();
    await checkAsAstra(bridge, 'good-token', '203.0.113.1').expect(200);
    await checkAsAstra(bridge, 'good-token', '198.51.100.9').expect(200);
    expect(middleware.received).toHaveLength(2);
  });

  it('binds only allowed tokens', async () => {
    const bridge = bridgeWith({ backend: { bindTokenToIp: true } });
    await checkAsAstra(bridge, 'bad-token', '203.0.113.1').expect(403);
    await checkAsAstra(bridge, 'bad-token', '198.51.100.9').expect(403);
    expect(middleware.received).toHaveLength(2);
  });
});
