import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import { DEFAULT_SOURCE } from '../../../src/pipeline/decision.js';
import { defaultAnswer } from '../../../src/pipeline/steps/defaultAction.js';

const routeWith = (route: Record<string, unknown>) =>
  validateConfig({ routes: { default: route } }, 'test config', {}).routes.default!;

describe('defaultAnswer', () => {
  it('denies by default, with the route’s denyRedirect', () => {
    const answer = defaultAnswer(routeWith({ denyRedirect: 'http://promo.example.com/' }));
    expect(answer).toEqual({ allow: false, source: DEFAULT_SOURCE, redirect: 'http://promo.example.com/' });
  });

  it('denies without a redirect when the route has none', () => {
    expect(defaultAnswer(routeWith({}))).toEqual({ allow: false, source: DEFAULT_SOURCE, redirect: undefined });
  });

  it('allows with default: allow, never redirecting', () => {
    const answer = defaultAnswer(routeWith({ default: 'allow', denyRedirect: 'http://promo.example.com/' }));
    expect(answer).toEqual({ allow: true, source: DEFAULT_SOURCE });
  });

  it('names the one default source, whose log text is `default`', () => {
    expect(defaultAnswer(routeWith({})).source).toBe(DEFAULT_SOURCE);
    expect(DEFAULT_SOURCE.by).toBe('default');
  });
});
