import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MiddlewareClient, type OutboundRequest } from '../../src/adapters/transport.js';
import { createRecorder } from '../../src/record/recorder.js';
import { loadFixtures, type Exchange } from '../../src/replay/fixtures.js';
import { startReplayServer, type ReplayServer } from '../../src/replay/server.js';
import { memoryLogger } from '../support/bridge.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const TOKEN = 'Post7oken0f4Viewer';
const PASSWORD = 'pa55-w0rd!';

const servers: ReplayServer[] = [];
const client = new MiddlewareClient();
afterAll(async () => {
  await client.close();
  await Promise.all(servers.map((server) => server.close()));
});

async function replaying(exchanges: readonly Exchange[]): Promise<ReplayServer> {
  const server = await startReplayServer(exchanges);
  servers.push(server);
  return server;
}

async function statusOf(sender: MiddlewareClient, outbound: OutboundRequest): Promise<number> {
  return (await sender.send(outbound, 2000, new AbortController().signal)).status;
}

/** Records one exchange through the real transport and returns the fixture folder and the file's text. */
async function recordOne(
  _live: ReplayServer,
  outbound: OutboundRequest,
): Promise<{ dir: string; text: string; recorded: Exchange }> {
  const dir = join(mkdtempSync(join(tmpdir(), 'record-body-')), 'recorded');
  const recorder = createRecorder(dir, memoryLogger([]));
  const recording = new MiddlewareClient(recorder.observe);
  await statusOf(recording, outbound);
  await recorder.flush();
  await recording.close();
  const [file] = readdirSync(dir);
  const text = readFileSync(join(dir, file!), 'utf8');
  return { dir, text, recorded: JSON.parse(text) as Exchange };
}

describe('a POST middleware recorded once and replayed', () => {
  const json = (token: string, extra: Record<string, unknown> = {}): OutboundRequest => ({
    origin: '',
    method: 'POST',
    path: '/api/check',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token,
      password: PASSWORD,
      channel: 'a001',
      ip: '203.0.113.7',
      hops: 2,
      vip: true,
      nested: { a: 1 },
      ...extra,
    }),
  });

  it('a JSON body: fields matched one by one, secrets hashed, the answer replayed for the same body only', async () => {
    const live = await replaying([
      {
        request: { method: 'POST', path: '/api/check', body: { json: { token: TOKEN } } },
        response: { status: 200, headers: { 'X-Session-Name': 'alice' }, body: `ok ${TOKEN}` },
      },
    ]);
    const { dir, text, recorded } = await recordOne(live, { ...json(TOKEN), origin: live.url });
    for (const secret of [TOKEN, PASSWORD]) expect(text).not.toContain(secret);
    expect(recorded.request).toMatchObject({
      method: 'POST',
      path: '/api/check',
      body: {
        json: {
          token: { sha256: sha256(TOKEN) },
          password: { sha256: sha256(PASSWORD) },
          channel: 'a001',
          ip: '203.0.113.7',
          hops: 2,
          vip: true,
        },
      },
    });
    expect(recorded.response).toMatchObject({ status: 200, body: 'ok ***' });

    const replay = await replaying(loadFixtures(dir));
    expect(await statusOf(client, { ...json(TOKEN), origin: replay.url })).toBe(200);
    // Fields are compared one by one: key order and fields the recording does not list do not matter.
    expect(await statusOf(client, { ...json(TOKEN, { extra: 'x' }), origin: replay.url })).toBe(200);
    expect(await statusOf(client, { ...json('another-token'), origin: replay.url })).toBe(500);
    expect(await statusOf(client, { ...json(TOKEN, { hops: 3 }), origin: replay.url })).toBe(500);
    expect(await statusOf(client, { ...json(TOKEN), method: 'GET', body: undefined, origin: replay.url })).toBe(500);
  });

  it('a form body: its fields like query parameters, secrets hashed', async () => {
    const form = (token: string): OutboundRequest => ({
      origin: '',
      method: 'POST',
      path: '/on_play',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `call=play&name=a001&addr=203.0.113.7&token=${token}`,
    });
    const live = await replaying([{ request: { method: 'POST', path: '/on_play' }, response: { status: 200 } }]);
    const { dir, text, recorded } = await recordOne(live, { ...form(TOKEN), origin: live.url });
    expect(text).not.toContain(TOKEN);
    expect(recorded.request.body).toEqual({
      form: { call: 'play', name: 'a001', addr: '203.0.113.7', token: { sha256: sha256(TOKEN) } },
    });
    const replay = await replaying(loadFixtures(dir));
    expect(await statusOf(client, { ...form(TOKEN), origin: replay.url })).toBe(200);
    expect(await statusOf(client, { ...form('other'), origin: replay.url })).toBe(500);
  });

  it('any other body: the whole text, hashed when it holds a secret', async () => {
    const live = await replaying([{ request: { method: 'POST', path: '/raw' }, response: { status: 403 } }]);
    const plain = await recordOne(live, {
      origin: live.url,
      method: 'POST',
      path: '/raw',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(plain.recorded.request.body).toBe('hello');
    const secret = await recordOne(live, {
      origin: live.url,
      method: 'POST',
      path: '/raw',
      headers: { 'content-type': 'text/plain', 'x-api-key': 'K3y-of-the-mw' },
      body: 'key=K3y-of-the-mw',
    });
    expect(secret.text).not.toContain('K3y-of-the-mw');
    expect(secret.recorded.request.body).toEqual({ sha256: sha256('key=K3y-of-the-mw') });
    const replay = await replaying(loadFixtures(secret.dir));
    expect(
      await statusOf(client, {
        origin: replay.url,
        method: 'POST',
        path: '/raw',
        headers: { 'content-type': 'text/plain', 'x-api-key': 'K3y-of-the-mw' },
        body: 'key=K3y-of-the-mw',
      }),
    ).toBe(403);
  });
});
