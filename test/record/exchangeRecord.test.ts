import { describe, expect, it } from 'vitest';
import { recordedExchange } from '../../src/record/exchangeRecord.js';

const outbound = { origin: 'http://127.0.0.1:9000', path: '/check?token=viewer-token&site=5', headers: {} };
const answered = (headers: Record<string, string>) => ({ status: 302, headers, body: Buffer.alloc(0) });

describe('recordedExchange', () => {
  it('masks secret-named parameters of a redirect the middleware issued, absolute or relative', () => {
    const exchange = recordedExchange(
      outbound,
      answered({
        location: 'http://promo.example/watch?token=SECRET123&ch=a001',
        'x-location': '/promo/watch?password=hunter22&ch=a001',
        'x-note': 'token=kept-as-text',
      }),
    );
    expect(exchange?.response).toEqual({
      status: 302,
      headers: {
        location: 'http://promo.example/watch?token=***&ch=a001',
        'x-location': '/promo/watch?password=***&ch=a001',
        'x-note': 'token=kept-as-text',
      },
    });
    expect(JSON.stringify(exchange)).not.toMatch(/SECRET123|hunter22|viewer-token/);
  });

  it('a redirect echoing the viewer’s own token is masked where it shows, a plain one is kept as sent', () => {
    const exchange = recordedExchange(
      outbound,
      answered({ location: 'promo/page?from=viewer-token', 'x-location': 'http://promo.example/plain?ch=a001' }),
    );
    expect(exchange?.response).toMatchObject({
      headers: { location: 'promo/page?from=***', 'x-location': 'http://promo.example/plain?ch=a001' },
    });
  });

  it('a token echoed in another letter case is masked too', () => {
    const exchange = recordedExchange(outbound, answered({ 'x-session-name': 'box-VIEWER-TOKEN' }));
    expect(exchange?.response).toMatchObject({ headers: { 'x-session-name': 'box-***' } });
    expect(JSON.stringify(exchange)).not.toMatch(/viewer-token/i);
  });
});
