import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/document.js';

const securetoken = (settings: Record<string, unknown>) =>
  validateConfig({ securetoken: { secret: 's', ...settings } }, 'test.yaml', {}).securetoken;

describe('securetoken.maxLifetime', () => {
  it('is 2 days unless set', () => {
    expect(securetoken({})?.maxLifetime).toBe(172_800);
  });

  it.each([
    ['90m', 5400],
    ['3h', 10_800],
    ['7d', 604_800],
    [3600, 3600],
    ['3600', 3600],
  ])('%j is %d seconds', (given, seconds) => {
    expect(securetoken({ maxLifetime: given })?.maxLifetime).toBe(seconds);
  });

  it.each(['0', 'forever', '-1h', true])('%j fails at start naming the key', (given) => {
    expect(() => securetoken({ maxLifetime: given })).toThrow(ConfigError);
    expect(() => securetoken({ maxLifetime: given })).toThrow(/securetoken\.maxLifetime/);
  });

  it('takes a duration from the environment', () => {
    const config = validateConfig({ securetoken: { secret: 's', maxLifetime: '${LIFETIME}' } }, 'test.yaml', {
      LIFETIME: '12h',
    });
    expect(config.securetoken?.maxLifetime).toBe(43_200);
  });
});
