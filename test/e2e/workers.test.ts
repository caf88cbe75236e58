import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdsOpen, killLeftoverServers, startServe, type Serving } from '../support/cli.js';
import { parsePrometheusText } from '../support/promText.js';
import { adminUrlOf, answeredBySlot, workersOf } from '../support/workerGroup.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

// `serve --workers 2` as an operator runs it: real processes, a real replayed Ministra, checks on
// connections of their own. Which worker answered is read from /admin/status (each worker's own count).
const TOKEN = '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7'; // test/fixtures/ministra/allow.json
const PROBE_IP = '198.51.100.250'; // denied by an IP rule: counted, asks nobody, changes nothing
const dir = mkdtempSync(join(tmpdir(), 'bridge-workers-'));
let middleware: ReplayServer;
let redis: RedisServer;

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('ministra'));
  redis = await startRedis();
});
afterAll(async () => {
  killLeftoverServers();
  await middleware.close();
  await redis.stop();
});

/** What fs.watch holds on Linux. */
const INOTIFY = 'anon_inode:inotify';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function configText(store: 'memory' | 'redis', extraRules: readonly string[] = []): string {
  const cache = store === 'memory' ? '{store: memory}' : `{store: redis, redisUrl: "${redis.url}"}`;
  return [
    'listen: 127.0.0.1:0',
    'admin: {listen: "127.0.0.1:0"}',
    'stats: {store: off}',
    `cache: ${cache}`,
    `ipRules: [${[`deny ${PROBE_IP}`, ...extraRules].join(', ')}]`,
    'users:',
    `  - {login: limited-${store}, password: pw, token: limited-${store}, maxConnections: 1}`,
    'backends:',
    `  portal: {type: ministra, url: "${middleware.url}/stalker_portal"}`,
    '',
  ].join('\n');
}

interface Group {
  readonly serving: Serving;
  readonly config: string;
  readonly admin: string;
  /** One kept-alive connection on each worker, by slot. */
  readonly on: Map<number, Client>;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The worker whose count moved: nothing else sends checks meanwhile. */
  readonly slot: number;
}

async function check(
  group: Pick<Group, 'admin'>,
  client: Client,
  query: string,
  headers: Record<string, string>,
): Promise<Answer> {
  const before = await answeredBySlot(group.admin);
  const answer = await client.request({ method: 'GET', path: `/auth?${query}`, headers });
  await answer.body.text();
  const after = await answeredBySlot(group.admin);
  const moved = [...after].filter(([slot, count]) => count !== (before.get(slot) ?? 0)).map(([slot]) => slot);
  expect(moved).toHaveLength(1);
  return { status: answer.statusCode, headers: answer.headers, slot: moved[0]! };
}

async function startGroup(store: 'memory' | 'redis'): Promise<Group> {
  const config = join(dir, `${store}.yaml`);
  writeFileSync(config, configText(store));
  // Three processes load the bridge at once: on a loaded 2-core machine that takes a while.
  const serving = await startServe(['--workers', '2', '--config', config], {}, 60_000);
  const admin = await adminUrlOf(serving.output);
  // New connections until one has landed on each worker (the kernel chooses; bounded in count).
  const on = new Map<number, Client>();
  for (let attempt = 0; attempt < 80 && on.size < 2; attempt++) {
    const client = new Client(serving.url, { keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 });
    const { slot, status } = await check({ admin }, client, 'token=probe', { 'X-Real-IP': PROBE_IP });
    expect(status).toBe(403);
    if (on.has(slot)) await client.close();
    else on.set(slot, client);
  }
  expect([...on.keys()].sort()).toEqual([1, 2]);
  return {
    serving,
    config,
    admin,
    on,
    async close() {
      for (const client of on.values()) await client.close();
      serving.child.kill('SIGTERM');
      expect(await serving.exited).toBe(0);
    },
  };
}

async function on(group: Group, slot: number, query: string, headers: Record<string, string>): Promise<Answer> {
  const answer = await check(group, group.on.get(slot)!, query, headers);
  // The connection stayed on its worker (a reconnect could have landed anywhere).
  expect(answer.slot).toBe(slot);
  return answer;
}

const asked = () => middleware.received.filter((request) => request.rawQuery.includes(TOKEN)).length;

async function adminPost(group: Group, path: string, body: object): Promise<Record<string, unknown>> {
  const answer = await fetch(`${group.admin}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
  expect(answer.status).toBe(200);
  return (await answer.json()) as Record<string, unknown>;
}

describe.each(['memory', 'redis'] as const)('serve --workers 2 with cache.store %s', (store) => {
  let group: Group;
  // Each worker keeps its own cached decisions with the memory store and asks again itself; with Redis
  // the answer the first one fetched is the other's too.
  const asksAfterDrop = store === 'memory' ? 2 : 1;
  beforeAll(async () => {
    group = await startGroup(store);
  }, 60_000);
  afterAll(async () => group?.close());

  it('holds a token binding across workers: allowed from one IP on worker 1, denied from another on worker 2 without asking', async () => {
    const first = await on(group, 1, `token=${TOKEN}`, { 'X-Real-IP': '203.0.113.7', 'X-Channel-ID': 'a001' });
    expect(first.status).toBe(200);
    const before = asked();
    const other = await on(group, 2, `token=${TOKEN}`, { 'X-Real-IP': '203.0.113.8', 'X-Channel-ID': 'a001' });
    expect(other.status).toBe(403);
    expect(asked()).toBe(before);
  });

  it("counts a user's connections across workers", async () => {
    const token = `token=limited-${store}`;
    expect((await on(group, 1, token, { 'X-Real-IP': '203.0.113.20', 'X-Session-ID': 's1' })).status).toBe(200);
    expect((await on(group, 2, token, { 'X-Real-IP': '203.0.113.20', 'X-Session-ID': 's2' })).status).toBe(403);
    // The session already counted stays admitted, whichever worker sees it.
    expect((await on(group, 2, token, { 'X-Real-IP': '203.0.113.20', 'X-Session-ID': 's1' })).status).toBe(200);
  });

  it("keeps every worker's viewing sessions in the lead's one list; an end heard by another worker ends one", async () => {
    const ids = [`on-1-${store}`, `on-2-${store}`];
    // nginx-rtmp's hooks, on one worker's connection: a play starts a session, a play_done ends it.
    const rtmp = async (slot: number, call: string, id: string) => {
      const answer = await group.on.get(slot)!.request({
        method: 'POST',
        path: '/nginx-rtmp',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `call=${call}&addr=203.0.113.7&clientid=${id}&app=tv&name=a001&token=${TOKEN}`,
      });
      await answer.body.text();
      return answer.statusCode;
    };
    for (const [index, id] of ids.entries()) expect(await rtmp(index + 1, 'play', id)).toBe(200);
    // Worker 2 checks its session again: the lead's copy follows it.
    expect(await rtmp(2, 'play', ids[1]!)).toBe(200);
    const listed = async () => {
      const { sessions } = (await (await fetch(`${group.admin}/admin/sessions`)).json()) as {
        sessions: { session: string; channel: string; ip: string; decision: string; by: string }[];
      };
      return sessions.filter((each) => ids.includes(each.session)).sort((a, b) => a.session.localeCompare(b.session));
    };
    const live = (id: string) => ({
      session: id,
      channel: 'a001',
      ip: '203.0.113.7',
      decision: 'allow',
      by: 'backend',
    });
    await expect.poll(listed).toEqual(ids.map((id) => expect.objectContaining(live(id))));

    // nginx-rtmp says on worker 2 that the second session is over.
    expect(await rtmp(2, 'play_done', ids[1]!)).toBe(200);
    await expect.poll(listed).toEqual([expect.objectContaining(live(ids[0]!))]);
  });

  it("revoke drops the viewer's cached allows on every worker and its binding", async () => {
    const viewer = { 'X-Real-IP': '203.0.113.7', 'X-Channel-ID': 'a001' };
    expect((await on(group, 1, `token=${TOKEN}`, viewer)).status).toBe(200);
    expect((await on(group, 2, `token=${TOKEN}`, viewer)).status).toBe(200);
    const cachedOnBoth = asked();
    expect((await on(group, 1, `token=${TOKEN}`, viewer)).status).toBe(200);
    expect((await on(group, 2, `token=${TOKEN}`, viewer)).status).toBe(200);
    expect(asked()).toBe(cachedOnBoth);

    const revoked = await adminPost(group, '/admin/revoke', { token: TOKEN });
    expect(revoked).toMatchObject({ bindings: 1, complete: true });
    expect(revoked.decisions).toBeGreaterThanOrEqual(1);
    // Both workers ask again; the binding is gone, so another IP may now have the token.
    expect((await on(group, 2, `token=${TOKEN}`, { ...viewer, 'X-Real-IP': '203.0.113.9' })).status).toBe(200);
    expect((await on(group, 1, `token=${TOKEN}`, { ...viewer, 'X-Real-IP': '203.0.113.9' })).status).toBe(200);
    expect(asked()).toBe(cachedOnBoth + asksAfterDrop);
  });

  it('flush drops the cached decisions of every worker', async () => {
    const viewer = { 'X-Real-IP': '203.0.113.9', 'X-Channel-ID': 'a001' };
    await on(group, 1, `token=${TOKEN}`, viewer);
    await on(group, 2, `token=${TOKEN}`, viewer);
    const before = asked();
    expect(await adminPost(group, '/admin/cache/flush', {})).toMatchObject({ complete: true });
    expect((await on(group, 1, `token=${TOKEN}`, viewer)).status).toBe(200);
    expect((await on(group, 2, `token=${TOKEN}`, viewer)).status).toBe(200);
    expect(asked()).toBe(before + asksAfterDrop);
  });

  it('SIGHUP and POST /admin/reload reload every worker', async () => {
    const blocked = { 'X-Real-IP': '203.0.113.66' };
    let fresh = 0;
    // A token never seen before reaches the middleware unless the new IP rule denies it first.
    const reachesMiddleware = async (slot: number) => {
      const before = middleware.received.length;
      expect((await on(group, slot, `token=${store}-unknown-${fresh++}`, blocked)).status).toBe(403);
      return middleware.received.length > before;
    };
    expect(await reachesMiddleware(1)).toBe(true);
    writeFileSync(group.config, configText(store, ['deny 203.0.113.66']));
    group.serving.child.kill('SIGHUP');
    for (const slot of [1, 2]) await expect.poll(() => reachesMiddleware(slot), { timeout: 10_000 }).toBe(false);

    writeFileSync(group.config, configText(store));
    const outcome = await adminPost(group, '/admin/reload', {});
    expect(outcome).toMatchObject({ result: 'ok' });
    expect((outcome.workers as { slot: number; result: string }[]).map((w) => [w.slot, w.result]).sort()).toEqual([
      [1, 'ok'],
      [2, 'ok'],
    ]);
  });

  it('reload.watch: the lead alone watches the file, and a save reloads every worker', async () => {
    const watching = (extraRules: readonly string[] = []) => `${configText(store, extraRules)}reload: {watch: true}\n`;
    const digests = async () =>
      (await workersOf(group.admin)).map((worker) => (worker as { configSha256?: string }).configSha256);
    writeFileSync(group.config, watching());
    expect(await adminPost(group, '/admin/reload', {})).toMatchObject({ result: 'ok' });
    // Each watching for itself, a worker could read a save halfway, turn its watch off with it and stay on it.
    const pids = new Map((await workersOf(group.admin)).map((worker) => [worker.slot, worker.pid]));
    expect([holdsOpen(pids.get(1)!, INOTIFY), holdsOpen(pids.get(2)!, INOTIFY)]).toEqual([true, false]);

    const saved = watching(['deny 203.0.113.67']);
    writeFileSync(group.config, saved);
    await expect.poll(digests, { timeout: 10_000 }).toEqual([sha256(saved), sha256(saved)]);
    // Off again, by a save the watch reloads, for the tests after this one.
    const plain = configText(store);
    writeFileSync(group.config, plain);
    await expect.poll(digests, { timeout: 10_000 }).toEqual([sha256(plain), sha256(plain)]);
  });

  it('/metrics and /admin/status count every worker', async () => {
    const perWorker = await answeredBySlot(group.admin);
    expect(perWorker.get(1)).toBeGreaterThan(0);
    expect(perWorker.get(2)).toBeGreaterThan(0);
    const status = (await (await fetch(`${group.admin}/admin/status`)).json()) as {
      decisions: { allow: number; deny: number; refused: number };
      backends: { name: string; requests?: number }[];
    };
    const total = [...perWorker.values()].reduce((sum, n) => sum + n, 0);
    expect(status.decisions.allow + status.decisions.deny + status.decisions.refused).toBe(total);
    const samples = parsePrometheusText(await (await fetch(`${group.admin}/metrics`)).text());
    const counted = samples
      .filter((sample) => sample.name === 'iptv_auth_bridge_decisions_total')
      .reduce((sum, sample) => sum + sample.value, 0);
    expect(counted).toBe(total);
    // The backend's requests too, which each worker makes itself: the status page's table, not worker 1's share.
    const asked = samples
      .filter(
        (sample) => sample.name === 'iptv_auth_bridge_backend_requests_total' && sample.labels.backend === 'portal',
      )
      .reduce((sum, sample) => sum + sample.value, 0);
    expect(asked).toBeGreaterThan(0);
    expect(status.backends.find((backend) => backend.name === 'portal')?.requests).toBe(asked);
  });

  it('/metrics leaves out a worker that does not answer and counts it as unreported, instead of failing the scrape', async () => {
    const silent = (await workersOf(group.admin)).find((worker) => worker.slot === 2)!;
    // Stopped for a scrape's wait (2 s), well within the watchdog's 6 s.
    process.kill(silent.pid, 'SIGSTOP');
    let text: string;
    let status: number;
    try {
      const scrape = await fetch(`${group.admin}/metrics`, { signal: AbortSignal.timeout(10_000) });
      [status, text] = [scrape.status, await scrape.text()];
    } finally {
      process.kill(silent.pid, 'SIGCONT');
    }
    expect(status).toBe(200);
    expect(text).toMatch(/^iptv_auth_bridge_workers_unreported 1$/m);
    expect(text).toMatch(/^iptv_auth_bridge_decisions_total\{/m);
    const again = await (await fetch(`${group.admin}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    expect(again).toMatch(/^iptv_auth_bridge_workers_unreported 0$/m);
  });

  it('starts a worker that dies again on the config in force, not on an unreloaded save, and keeps answering meanwhile', async () => {
    const victim = (await workersOf(group.admin)).find((w) => w.slot === 2)!;
    const inForce = (victim as { configSha256?: string }).configSha256;
    // Saved, never reloaded (and invalid): read from the file, the restarted worker could not start at all.
    writeFileSync(group.config, `${configText(store)}cache: {allowTtl: -1}\n`);
    process.kill(victim.pid, 'SIGKILL');
    // Serving again: it answers its status itself, as a process of its own.
    const servesAgain = async () => {
      const pid = (await workersOf(group.admin)).find((w) => w.slot === 2 && w.error === undefined)?.pid;
      return pid !== undefined && pid !== victim.pid;
    };
    await expect.poll(servesAgain, { timeout: 20_000 }).toBe(true);
    const restarted = (await workersOf(group.admin)) as { slot: number; configSha256?: string }[];
    expect(restarted.map((worker) => [worker.slot, worker.configSha256])).toEqual([
      [1, inForce],
      [2, inForce],
    ]);
    writeFileSync(group.config, configText(store));
    await group.on.get(2)!.close();
    group.on.delete(2);
    const client = new Client(group.serving.url);
    const answer = await client.request({ method: 'GET', path: '/auth?token=x', headers: { 'X-Real-IP': PROBE_IP } });
    await answer.body.text();
    expect(answer.statusCode).toBe(403);
    await client.close();
  });
});
