import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import { defaultAction } from '../../../src/pipeline/steps/defaultAction.js';

const routeWith = (route: Record<string, unknown>) =>
  validateConfig({ routes: { default: route } }, 'test config', {}).routes.default!;

describe('defaultAction', () => {
  it('denies by default, with the route’s denyRedirect', async () => {
    const decide = defaultAction(routeWith({ denyRedirect: 'http://promo.example.com/' }));
    expect(await decide()).toEqual({ allow: false, decidedBy: 'default', redirect: 'http://promo.example.com/' });
  });

  it('denies without a redirect when the route has none', async () => {
    expect(await defaultAction(routeWith({}))()).toEqual({ allow: false, decidedBy: 'default', redirect: undefined });
  });

  it('allows with default: allow, never redirecting', async () => {
    const decide = defaultAction(routeWith({ default: 'allow', denyRedirect: 'http://promo.example.com/' }));
    expect(await decide()).toEqual({ allow: true, decidedBy: 'default' });
  });

  it('answers every call with the same verdict (it is built once per route)', async () => {
    const decide = defaultAction(routeWith({}));
    expect(await decide()).toBe(await decide());
  });
});
