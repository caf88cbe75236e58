import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { maskSecrets } from '../../src/config/mask.js';

describe('maskSecrets', () => {
  it('masks a secret environment variable wherever the normalized config holds it', () => {
    const env = { MW_PATH_SECRET: 'Sécret 99', MW_HOST_SECRET: 'HostSecret99' };
    const config = validateConfig(
      {
        backends: {
          path: { type: 'http', url: 'http://mw.example/${MW_PATH_SECRET}/check' },
          // URL normalization lower-cases the host: the secret must not slip out in its lower-case form.
          host: { type: 'http', url: 'http://${MW_HOST_SECRET}.mw.example/check' },
        },
      },
      'test',
      env,
    );
    const printed = JSON.stringify(maskSecrets(config, Object.values(env)));
    expect(printed).toContain('http://mw.example/***/check');
    expect(printed).toContain('http://***.mw.example/check');
    expect(printed.toLowerCase()).not.toContain('hostsecret99');
  });
});
