import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionTracker } from '../../src/sessions/tracker.js';
import { ManualClock } from '../support/manualClock.js';
import { startOperatedBridge, type OperatedBridge } from '../support/operations.js';
import { busyTracker, checkOf } from '../sessions/liveChecks.js';

const TOKEN = 'sessions-admin-token-0123456789';
const LIVE = 100_000;
const bearer = { Authorization: `Bearer ${TOKEN}` };

const clock = new ManualClock();
let tracker: SessionTracker;
let bridge: OperatedBridge;

beforeAll(async () => {
  tracker = busyTracker(LIVE, clock).sessions;
  bridge = await startOperatedBridge({ admin: { token: TOKEN }, ipRules: ['allow any'] }, { sessions: tracker });
});

afterAll(async () => {
  await bridge.close();
  tracker.close();
});

interface Streamed {
  readonly status: number | undefined;
  readonly headers: Record<string, unknown>;
  readonly body: string;
  /** What happened while it was read, in order. */
  readonly events: string[];
}

/** GET `path` on the admin listener; `onFirstChunk` runs when the first part of the body arrives. */
function streamed(path: string, method = 'GET', onFirstChunk?: (events: string[]) => void): Promise<Streamed> {
  const events: string[] = [];
  return new Promise((resolve, reject) => {
    const req = request(`${bridge.admin}${path}`, { method, headers: bearer, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body === '') onFirstChunk?.(events);
        body += chunk;
      });
      res.on('end', () => {
        events.push('list ended');
        resolve({ status: res.statusCode, headers: res.headers, body, events });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /admin/sessions at 100,000 live sessions', () => {
  it("answers the page's limited list: the newest thousand, the count of all, the same fields as before", async () => {
    const res = await fetch(`${bridge.admin}/admin/sessions?limit=1000`, { headers: bearer });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await res.json()) as { count: number; sessions: Record<string, unknown>[] };
    expect(body.count).toBe(LIVE);
    expect(body.sessions).toHaveLength(1000);
    expect(body.sessions[0]).toEqual({
      route: 'default',
      protocol: 'cesbo',
      caller: '10.0.0.1',
      session: 's99999',
      user: 'user999',
      channel: 'ch4',
      ip: '203.0.113.7',
      firstSeen: new Date(Date.UTC(2026, 0, 1) + 99_999).toISOString(),
      lastSeen: new Date(Date.UTC(2026, 0, 1) + 99_999).toISOString(),
      decision: 'allow',
      by: 'backend',
    });
    expect(body.sessions.at(-1)).toMatchObject({ session: 's99000' });
  });

  it('filters before it lists: a user has a hundred of them, the newest first', async () => {
    const res = await fetch(`${bridge.admin}/admin/sessions?user=user7&channel=ch0&limit=3`, { headers: bearer });
    const body = (await res.json()) as { count: number; sessions: { session: string }[] };
    // n % 1000 === 7 and n % 7 === 0: 7, 7007, 14007, ... every 7,000.
    expect(body.count).toBe(15);
    expect(body.sessions.map((s) => s.session)).toEqual(['s98007', 's91007', 's84007']);
  });

  it('answers every match without a limit, a slice at a time, answering checks in between', async () => {
    let check: Promise<void> | undefined;
    // Route vod's 10,000 sessions: forty slices (the whole 100,000 take seconds on a busy machine).
    const whole = await streamed('/admin/sessions?route=vod', 'GET', (events) => {
      // s3, the last in the list, checked again once the list has begun: written as it is when its turn comes.
      clock.advance(60_000);
      tracker.checkAnswered(checkOf(3));
      check = fetch(`${bridge.decisions}/auth?token=any`, { headers: { 'X-Real-IP': '203.0.113.9' } }).then(
        async (res) => {
          await res.text();
          events.push(`check answered ${res.status}`);
        },
      );
    });
    await check;
    expect(whole.status).toBe(200);
    expect(whole.headers['transfer-encoding']).toBe('chunked');
    // The check came and went while the list was still being written.
    expect(whole.events).toEqual(['check answered 200', 'list ended']);
    const body = JSON.parse(whole.body) as { count: number; sessions: { session: string; lastSeen: string }[] };
    expect(body.count).toBe(LIVE / 10);
    expect(body.sessions).toHaveLength(LIVE / 10);
    expect(new Set(body.sessions.map((s) => s.session)).size).toBe(LIVE / 10);
    expect(body.sessions[0]!.session).toBe('s99993');
    expect(body.sessions.at(-1)).toMatchObject({ session: 's3', lastSeen: new Date(clock.now()).toISOString() });
  });

  it('answers HEAD with the head only', async () => {
    const head = await streamed('/admin/sessions', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(head.body).toBe('');
  });

  it('stops writing for a client that went away, and goes on answering', async () => {
    const gone = new Promise<void>((resolve, reject) => {
      const req = request(`${bridge.admin}/admin/sessions`, { headers: bearer, agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      req.end();
    });
    await gone;
    const res = await fetch(`${bridge.admin}/admin/sessions?limit=1`, { headers: bearer });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { count: number }).count).toBe(LIVE);
  });

  it.each(['0', '-1', '1.5', 'many'])('refuses limit=%s with a 400 naming it', async (limit) => {
    const res = await fetch(`${bridge.admin}/admin/sessions?limit=${limit}`, { headers: bearer });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'limit: expected a whole number of at least 1, in at most 15 digits' });
  });
});
