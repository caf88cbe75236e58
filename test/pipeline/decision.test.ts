import { describe, expect, it } from 'vitest';
import { backendSource, DEFAULT_SOURCE, decidingBackend, policySource } from '../../src/pipeline/decision.js';

describe('decision sources', () => {
  it('spell the by text of the decision log', () => {
    expect(backendSource('portal').by).toBe('backend:portal');
    expect(policySource('ip-rule', 'deny 198.51.100.66').by).toBe('ip-rule (deny 198.51.100.66)');
    expect(policySource('user', 'expired', 'alice').by).toBe('user:alice (expired)');
    expect(policySource('user', undefined, 'alice').by).toBe('user:alice');
    expect(policySource('securetoken').by).toBe('securetoken');
    expect(policySource('publish', 'allow').by).toBe('publish (allow)');
    expect(DEFAULT_SOURCE.by).toBe('default');
  });

  it('name the deciding backend only when a backend decided: a default is not a backend that failed silently', () => {
    expect(decidingBackend({ source: backendSource('portal') })).toBe('portal');
    expect(decidingBackend({ source: DEFAULT_SOURCE })).toBeUndefined();
    expect(decidingBackend({ source: policySource('token-binding') })).toBeUndefined();
  });
});
