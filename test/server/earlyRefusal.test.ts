import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange } from '../../scripts/hostile/rawExchange.js';
import { UNKNOWN_ROUTE } from '../../src/metrics/metrics.js';
import { NO_DIALECT } from '../../src/server/earlyRefusal.js';
import { startOperatedBridge, type OperatedBridge } from '../support/operations.js';
import { parsePrometheusText, sampleValue } from '../support/promText.js';

let bridge: OperatedBridge;
let port: number;

beforeAll(async () => {
  bridge = await startOperatedBridge({ ipRules: ['allow any'], limits: { maxHeaderBytes: 4096, maxQueryBytes: 1024 } });
  port = Number(new URL(bridge.decisions).port);
});

afterAll(() => bridge.close());

/** One raw request on its own connection: the status of the bridge's answer. */
async function statusOf(head: string): Promise<number | undefined> {
  const { statuses } = await rawExchange(port, { pieces: [head], halfClose: true });
  return statuses[0];
}

const refusedCount = async (labels: Record<string, string>) =>
  sampleValue(
    parsePrometheusText(await (await fetch(`${bridge.admin}/metrics`)).text()),
    'iptv_auth_bridge_decisions_total',
    {
      route: UNKNOWN_ROUTE,
      decision: 'refused',
      by: 'refused',
      cache: 'none',
      ...labels,
    },
  );

describe('requests refused before they name a route or a viewer', () => {
  it('are counted as refused, like every other refusal, not only logged', async () => {
    const refusals: [string, number][] = [
      ['GARBAGE\r\n\r\n', 400],
      [`GET /auth?token=x HTTP/1.1\r\nHost: b\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`, 431],
      ['CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: b\r\n\r\n', 405],
      ['GET /auth?token=x HTTP/1.1\r\nHost: b\r\nExpect: foo\r\n\r\n', 417],
      ['GET /nosuchpath HTTP/1.1\r\nHost: b\r\n\r\n', 404],
      ['GET /nginx-rtmp HTTP/1.1\r\nHost: b\r\n\r\n', 405],
      ['DELETE /auth?token=x HTTP/1.1\r\nHost: b\r\n\r\n', 405],
      ['GET /auth/%zz?token=x HTTP/1.1\r\nHost: b\r\n\r\n', 400],
      // nginx auth_request passing on a viewer's User-Agent that Node's parser refuses: denied as 403, not 400.
      ['GET /auth HTTP/1.1\r\nHost: b\r\nX-Original-URI: /hls/a001/index.m3u8\r\nUser-Agent: VLC\x01\r\n\r\n', 403],
    ];
    for (const [head, status] of refusals) expect(await statusOf(head)).toBe(status);

    expect(await refusedCount({ dialect: NO_DIALECT })).toBe(5);
    expect(await refusedCount({ dialect: 'nginx-rtmp' })).toBe(1);
    expect(await refusedCount({ dialect: 'cesbo' })).toBe(2);
    expect(await refusedCount({ dialect: 'nginx-auth-request' })).toBe(1);
    const status = (await (await fetch(`${bridge.admin}/admin/status`)).json()) as { decisions: { refused: number } };
    expect(status.decisions.refused).toBe(9);
    // Each still has its decision line, with the dialect where the request showed it.
    const lines = bridge.logs.filter((line) => line.includes('"decision":"refused"'));
    expect(lines).toHaveLength(9);
    expect(lines.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({ dialect: 'nginx-auth-request', status: 403, reason: 'malformed HTTP request' }),
    );
  });
});
