import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { RequestProblem, traceCheck, type Trace } from '../../src/trace/trace.js';
import { closedPort, startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

const MINISTRA_ALLOW = '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7';
const MINISTRA_DENY = '0b8d6f4e2c1a39578e6d4c2b0a9f8e7d';
const ASTRA = {
  'X-Real-IP': '203.0.113.7',
  'X-Real-Path': '/play/a001/index.m3u8',
  'X-Session-ID': '1001',
  'X-Channel-ID': 'a001',
};

let ministra: ReplayServer;
let http: ReplayServer;
let downUrl: string;

beforeAll(async () => {
  ministra = await startReplayServer(fixturesOf('ministra'));
  http = await startReplayServer(fixturesOf('http'));
  downUrl = `http://127.0.0.1:${await closedPort()}/check`;
});
afterAll(async () => {
  await ministra.close();
  await http.close();
});

function config(document: Record<string, unknown>) {
  return validateConfig(document, 'trace test', {});
}

const stepNames = (trace: Trace) => trace.steps.map((step) => `${step.step}:${step.result}`);

describe('traceCheck in front of a replayed Ministra', () => {
  const ministraConfig = () =>
    config({
      backends: { portal: { type: 'ministra', url: `${ministra.url}/stalker_portal` } },
      routes: { default: { backends: ['portal'], denyRedirect: 'http://promo.example.com/ministra' } },
    });

  it("says so when the running bridge skips the route's backend now (its circuit open), which the trace still asks", async () => {
    const input = { dialect: 'cesbo', query: `token=${MINISTRA_ALLOW}`, headers: ASTRA } as const;
    const open = await traceCheck(ministraConfig(), 'default', input, { circuits: { portal: { circuit: 'open' } } });
    const backends = open.steps.find((step) => step.step === 'backends')!;
    expect(backends.verdict).toMatchObject({ allow: true, by: 'backend:portal' });
    expect(backends.note).toBe(
      'the running bridge skips portal now (circuit open): the trace asked it anyway, but a check now is decided without it',
    );
    for (const circuit of ['closed', 'half-open'] as const) {
      const asked = await traceCheck(ministraConfig(), 'default', input, { circuits: { portal: { circuit } } });
      expect(asked.steps.find((step) => step.step === 'backends')!.note, circuit).toBeUndefined();
    }
  });

  it('shows every step, the request sent with the token masked, the status, headers read and time', async () => {
    const trace = await traceCheck(ministraConfig(), 'default', {
      dialect: 'cesbo',
      query: `token=${MINISTRA_ALLOW}`,
      headers: ASTRA,
    });
    expect(stepNames(trace)).toEqual([
      'connection-limit:passed',
      'token-binding:passed',
      'cache:skipped',
      'backends:decided',
    ]);
    const backends = trace.steps.find((step) => step.step === 'backends')!;
    expect(backends.verdict).toMatchObject({
      allow: true,
      by: 'backend:portal',
      sessionName: '1042',
      userId: '1042',
      maxSessions: 10,
      unique: true,
      ttlSeconds: 36000,
    });
    const [asked] = backends.backends!;
    expect(asked).toMatchObject({ backend: 'portal', type: 'ministra', outcome: 'allow', status: 200 });
    expect(asked!.request!.method).toBe('GET');
    expect(asked!.request!.url).toMatch(
      new RegExp(
        `^${ministra.url}/stalker_portal/server/api/chk_flussonic_tmp_link\\.php\\?name=a001&ip=203\\.0\\.113\\.7&token=\\*\\*\\*&`,
      ),
    );
    expect(asked!.request!.url).toContain('qs=token%3D***');
    expect(asked!.headers).toEqual({
      'x-userid': '1042',
      'x-authduration': '36000',
      'x-max-sessions': '10',
      'x-unique': 'true',
    });
    expect(asked!.durationMs).toBeGreaterThan(0);
    expect(trace.decision).toMatchObject({
      allow: true,
      status: 200,
      by: 'backend:portal',
      headers: { 'X-Session-Name': '1042' },
    });
    expect(trace.viewer).toMatchObject({
      ip: '203.0.113.7',
      channel: 'a001',
      session: '1001',
      token: '***',
      query: 'token=***',
    });
    expect(trace.note).toBeUndefined();
    expect(JSON.stringify(trace)).not.toContain(MINISTRA_ALLOW);
  });

  it('names the backend that denied, with the route’s redirect; a second trace asks the portal again (no cache)', async () => {
    const before = ministra.received.length;
    const first = await traceCheck(ministraConfig(), 'default', {
      dialect: 'cesbo',
      query: `token=${MINISTRA_DENY}`,
      headers: ASTRA,
    });
    const second = await traceCheck(ministraConfig(), 'default', {
      dialect: 'cesbo',
      query: `token=${MINISTRA_DENY}`,
      headers: ASTRA,
    });
    expect(ministra.received.length - before).toBe(2);
    for (const trace of [first, second]) {
      expect(trace.decision).toMatchObject({
        allow: false,
        status: 403,
        by: 'backend:portal',
        redirect: 'http://promo.example.com/ministra',
      });
      expect(trace.steps.find((step) => step.step === 'backends')!.backends![0]).toMatchObject({
        outcome: 'deny',
        status: 403,
        headers: {},
      });
      expect(JSON.stringify(trace)).not.toContain(MINISTRA_DENY);
    }
  });

  it('a Flussonic caller gets its own answer headers; its qs is masked inside', async () => {
    const query = `name=a001&ip=203.0.113.7&token=${MINISTRA_ALLOW}&session_id=7&request_type=new_session&qs=${encodeURIComponent(`token=${MINISTRA_ALLOW}&x=1`)}`;
    const trace = await traceCheck(ministraConfig(), 'default', { dialect: 'flussonic', query });
    expect(trace.dialect).toBe('flussonic');
    expect(trace.viewer.query).toBe('token=***&x=1');
    expect(trace.decision.headers).toMatchObject({ 'X-AuthDuration': '36000', 'X-UserId': '1042', 'X-Unique': 'true' });
    expect(JSON.stringify(trace)).not.toContain(MINISTRA_ALLOW);
  });
});

describe('traceCheck through local policies and failing backends', () => {
  it('an IP rule decides before anyone is asked', async () => {
    const before = http.received.length;
    const trace = await traceCheck(
      config({ ipRules: ['deny 203.0.113.0/24'], backends: { mw: { type: 'http', url: `${http.url}/auth/check` } } }),
      'default',
      { dialect: 'cesbo', query: 'token=good-token', headers: ASTRA },
    );
    expect(stepNames(trace)).toEqual(['ip-rules:decided']);
    expect(trace.steps[0]).toMatchObject({
      saw: { ip: '203.0.113.7' },
      verdict: { allow: false, by: 'ip-rule (deny 203.0.113.0/24)' },
    });
    expect(http.received.length).toBe(before);
  });

  it('a local user decides with what it saw: the login, never the password', async () => {
    const trace = await traceCheck(
      config({ users: [{ login: 'ann', password: 'pa55word', expires: '2020-01-01T00:00:00Z' }] }),
      'default',
      { dialect: 'cesbo', query: 'auth=ann:pa55word', headers: ASTRA },
    );
    expect(stepNames(trace)).toEqual(['local-users:decided']);
    expect(trace.steps[0]).toMatchObject({
      saw: { login: 'ann' },
      verdict: { allow: false, by: 'user:ann (expired)' },
    });
    expect(trace.viewer).toMatchObject({ login: 'ann', password: '***', query: 'auth=***' });
    expect(JSON.stringify(trace)).not.toContain('pa55word');
  });

  it('shows a non-ASCII session name in the answer headers as its text, as the caller reads the UTF-8 bytes', async () => {
    const trace = await traceCheck(config({ users: [{ login: 'Вася', token: 'vasya-token-1' }] }), 'default', {
      dialect: 'cesbo',
      query: 'token=vasya-token-1',
      headers: ASTRA,
    });
    expect(trace.decision).toMatchObject({ allow: true, headers: { 'X-Session-Name': 'Вася' } });
  });

  it('every backend failing passes on to the default, each failure named', async () => {
    const trace = await traceCheck(
      config({
        backends: { down: { type: 'http', url: downUrl }, broken: { type: 'http', url: `${http.url}/auth/check` } },
        routes: { default: { backends: ['down', 'broken'], mode: 'sequential', default: 'deny' } },
      }),
      'default',
      { dialect: 'cesbo', query: 'token=crash-token', headers: ASTRA },
    );
    expect(stepNames(trace)).toEqual([
      'connection-limit:passed',
      'cache:skipped',
      'backends:passed',
      'default:decided',
    ]);
    const asked = trace.steps[2]!.backends!;
    expect(asked.map(({ backend, outcome, error }) => [backend, outcome, error])).toEqual([
      ['down', 'error', 'refused'],
      ['broken', 'error', 'server-error'],
    ]);
    expect(asked[0]!.request).toBeDefined();
    expect(asked[0]!.status).toBeUndefined();
    expect(asked[1]).toMatchObject({ status: 500, detail: 'middleware answered 500' });
    expect(trace.decision).toMatchObject({ allow: false, status: 403, by: 'default' });
  });

  it('mode any: the first allow wins, and the backend it cancelled is shown too', async () => {
    const hanging = await startReplayServer([{ request: { path: '/hang' }, response: { hang: true } }]);
    try {
      const trace = await traceCheck(
        config({
          backends: {
            hangs: { type: 'http', url: `${hanging.url}/hang` },
            mw: { type: 'http', url: `${http.url}/auth/check` },
          },
          routes: { default: { backends: ['hangs', 'mw'] } },
        }),
        'default',
        { dialect: 'cesbo', query: 'token=good-token', headers: ASTRA },
      );
      expect(trace.decision).toMatchObject({ allow: true, by: 'backend:mw', sessionName: 'alice' });
      const asked = trace.steps.find((step) => step.step === 'backends')!.backends!;
      expect(asked.map(({ backend, outcome, error }) => [backend, outcome, error])).toEqual([
        ['mw', 'allow', undefined],
        ['hangs', 'error', 'cancelled'],
      ]);
    } finally {
      await hanging.close();
    }
  });

  it('URL credentials, secret query values of the backend URL and secret environment values are masked', async () => {
    const url = `http://bridge:hunter22@${http.url.slice('http://'.length)}/auth/check?key=k3y-value&site=5`;
    const trace = await traceCheck(
      config({ backends: { mw: { type: 'http', url } } }),
      'default',
      {
        dialect: 'cesbo',
        query: 'token=good-token',
        headers: { ...ASTRA, 'X-Real-UA': 'agent-with-envsecret-inside' },
      },
      { env: { MW_SECRET: 'envsecret' } },
    );
    const request = trace.steps.find((step) => step.step === 'backends')!.backends![0]!.request!;
    expect(request.url).toBe(`${http.url}/auth/check?key=***&site=5&token=***`);
    expect(request.headers).toMatchObject({ authorization: '***', 'x-real-ua': 'agent-with-***-inside' });
    const text = JSON.stringify(trace);
    for (const secret of ['hunter22', 'k3y-value', 'good-token', 'envsecret']) expect(text).not.toContain(secret);
  });

  it('says so when the route’s budget ran out before the backend answered', async () => {
    const trace = await traceCheck(
      config({
        backends: { mw: { type: 'http', url: `${http.url}/auth/check`, timeoutMs: 5000 } },
        routes: { default: { backends: ['mw'], timeoutMs: 100 } },
      }),
      'default',
      { dialect: 'cesbo', query: 'token=hang-token', headers: ASTRA },
    );
    expect(trace.decision).toMatchObject({ allow: false, by: 'default' });
    expect(trace.note).toMatch(/budget \(timeoutMs 100\) ran out/);
  });
});

describe('traceCheck leaves shared state alone', () => {
  it('never opens the configured Redis: a trace has a store of its own', async () => {
    const redisUrl = `redis://127.0.0.1:${await closedPort()}/0`;
    const trace = await traceCheck(
      config({
        cache: { store: 'redis', redisUrl },
        backends: { mw: { type: 'http', url: `${http.url}/auth/check` } },
      }),
      'default',
      { dialect: 'cesbo', query: 'token=good-token', headers: ASTRA },
    );
    expect(trace.decision).toMatchObject({ allow: true, by: 'backend:mw', sessionName: 'alice' });
    expect(trace.steps.find((step) => step.step === 'cache')).toMatchObject({ result: 'skipped' });
  });
});

describe('traceCheck refuses what it cannot trace', () => {
  const plain = () => config({});

  it('an unknown route is 404 naming the routes', async () => {
    await expect(traceCheck(plain(), 'nope', { dialect: 'cesbo', query: '' })).rejects.toMatchObject({
      status: 404,
      message: 'no route named "nope" (routes: default)',
    });
  });

  it('bad input is the 4xx the decision listener would give', async () => {
    await expect(traceCheck(plain(), 'default', { dialect: 'cesbo', query: 'token=%zz' })).rejects.toBeInstanceOf(
      RequestProblem,
    );
    await expect(traceCheck(plain(), 'default', { dialect: 'cesbo', query: 'token=%zz' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      traceCheck(plain(), 'default', { dialect: 'cesbo', query: '', headers: { 'X-Real-IP': 'not-an-ip' } }),
    ).rejects.toMatchObject({
      status: 403,
      message: 'X-Real-IP is not an IP address',
    });
  });

  it('a viewer already read is traced as it is', async () => {
    const trace = await traceCheck(plain(), 'default', {
      viewer: { dialect: 'cesbo', rawQuery: '', ip: '198.51.100.1' },
    });
    expect(stepNames(trace)).toEqual(['backends:passed', 'default:decided']);
    expect(trace.steps[0]!.backends).toEqual([]);
    expect(trace.decision).toMatchObject({ allow: false, status: 403, by: 'default', headers: {} });
  });
});
