import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseSettingsText } from '../../src/config/document.js';
import { validateConfig } from '../../src/config/load.js';
import { printableConfig } from '../../src/config/printable.js';

const load = (document: unknown) => validateConfig(document, 'test.yaml', {});

describe('printableConfig', () => {
  it('writes every field whose schema builds a structure back as the file writes it', () => {
    const printable = printableConfig(
      load({
        listen: '[::1]:9088',
        admin: { listen: '127.0.0.1:9089', token: 'admin-token-0123456789' },
        ipRules: ['allow 10.0.0.0/8', 'deny any'],
      }),
    );
    expect(printable).toMatchObject({
      listen: '[::1]:9088',
      admin: { listen: '127.0.0.1:9089', token: 'admin-token-0123456789' },
      ipRules: ['allow 10.0.0.0/8', 'deny any'],
    });
    expect(printableConfig(load({ admin: { listen: 'off' } })).admin).toEqual({ listen: 'off' });
  });

  it('loads back, through YAML, as the same settings', () => {
    const config = load({
      listen: 9000,
      trustedCallers: ['127.0.0.0/8', '192.0.2.10'],
      admin: { listen: '[::1]:9100' },
      ipRules: ['pass 192.168.0.0/24', 'allow 127.0.0.1'],
      securetoken: { secret: ['new', 'old'], maxLifetime: '3d' },
      users: [{ login: 'alice', password: 'pw', expires: '2030-01-31T23:59:59Z', packages: ['basic'] }],
      packages: { basic: ['a001'] },
      backends: { mw: { type: 'ministra', url: 'http://mw.example.com/stalker_portal' } },
      routes: { default: { backends: ['mw'], denyRedirect: 'http://promo.example.com/x' }, open: { default: 'allow' } },
      streamingServers: { edge: { type: 'astra', url: 'http://127.0.0.1:8000', login: 'admin', password: 'pw' } },
    });
    const printed = stringify(printableConfig(config));
    expect(load(parseSettingsText(printed, 'printed.yaml'))).toEqual(config);
  });
});
