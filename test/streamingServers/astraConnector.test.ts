import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { CheckAnswered } from '../../src/observe.js';
import { SessionTracker } from '../../src/sessions/tracker.js';
import type { SessionRow } from '../../src/sessions/types.js';
import { createAstraApi } from '../../src/streamingServers/astraApi.js';
import { AstraConnector } from '../../src/streamingServers/astraConnector.js';
import { createConnectors } from '../../src/streamingServers/connectors.js';
import { memoryLogger } from '../support/bridge.js';
import { type DecisionSketch, sketched } from '../support/decisions.js';
import { ManualClock } from '../support/manualClock.js';
import { startAstraMock, type AstraMock } from './support/astraMock.js';

let astra: AstraMock;
beforeEach(async () => {
  astra = await startAstraMock('admin', 's3cret-pass');
});
afterEach(async () => {
  await astra.stop();
});

function serverConfig(document: Record<string, unknown> = {}) {
  const config = validateConfig(
    {
      streamingServers: {
        edge1: { type: 'astra', url: astra.url, login: 'admin', password: 's3cret-pass', poll: 10, ...document },
      },
    },
    'test config',
    {},
  );
  return config.streamingServers.edge1!;
}

function checked(
  session: string,
  decision: Partial<DecisionSketch> = {},
  caller = '127.0.0.1',
  token?: string,
): CheckAnswered {
  const { decidedBy = 'backend:mw' } = decision;
  return {
    route: 'default',
    protocol: 'cesbo',
    caller,
    viewer: { dialect: 'cesbo', rawQuery: '', session, channel: 'a001', ip: '203.0.113.9', token },
    decision: sketched({ allow: true, ...decision, decidedBy }),
    outcome: 'allow',
    by: decidedBy.startsWith('user:') ? 'user' : 'backend',
    cache: 'none',
    status: 200,
    durationMs: 1,
  };
}

function setup(document: Record<string, unknown> = {}) {
  const clock = new ManualClock();
  const logs: string[] = [];
  const log = memoryLogger(logs);
  const rows: SessionRow[] = [];
  const tracker = new SessionTracker({ idleTtlSeconds: 3600, maxLive: 1000, clock, sink: (row) => rows.push(row) });
  const config = serverConfig(document);
  const connector = new AstraConnector({ name: 'edge1', config, api: createAstraApi(config), tracker, clock, log });
  return { clock, logs, rows, tracker, connector, config };
}

/** Two servers with APIs, edge1 (the mock `astra`) and edge2 (`edge2`, a mock of its own), over one tracker. */
function twoServers(edge2: AstraMock, edge2Document: Record<string, unknown> = {}) {
  const clock = new ManualClock();
  const tracker = new SessionTracker({ idleTtlSeconds: 3600, maxLive: 1000, clock });
  const connectors = createConnectors(
    { edge1: serverConfig(), edge2: serverConfig({ url: edge2.url, ...edge2Document }) },
    tracker,
    clock,
    memoryLogger([]),
  );
  return { clock, tracker, connectors };
}

const listed = (...ids: (string | number)[]) =>
  ids.map((id) => ({ client_id: id, channel_id: 'a001', channel_name: 'A', addr: '203.0.113.9', uptime: 5 }));

describe('Astra connector', () => {
  it('matches listed sessions to the decided ones and ends those Astra stops listing as closed-by-server', async () => {
    const { clock, rows, tracker, connector } = setup();
    tracker.checkAnswered(checked('101'));
    tracker.checkAnswered(checked('102'));
    astra.sessions = listed(101, '102', 'not-ours');
    await connector.poll();
    expect(connector.state()).toMatchObject({ name: 'edge1', state: 'up', listed: 3, matched: 2 });

    clock.advance(10_000);
    tracker.checkAnswered(checked('103'));
    astra.sessions = listed(101);
    await connector.poll();
    // 102 went away; 103 was checked just now and may not be listed yet.
    expect([...tracker.list().sessions].map((s) => s.session).sort()).toEqual(['101', '103']);
    expect(rows.find((r) => r.session === '102' && r.endReason)).toMatchObject({ endReason: 'closed-by-server' });

    clock.advance(10_000);
    await connector.poll();
    expect([...tracker.list().sessions].map((s) => s.session)).toEqual(['101']);
    expect([...tracker.list().sessions][0]!.lastSeen).toBe(new Date(clock.now()).toISOString());
  });

  it('closes the newest session of a user over X-Max-Sessions, or the oldest when the newest is X-Unique', async () => {
    const { clock, rows, tracker, connector } = setup();
    tracker.checkAnswered(checked('1', { userId: '42', maxSessions: 1 }));
    clock.advance(1000);
    tracker.checkAnswered(checked('2', { userId: '42', maxSessions: 1 }));
    tracker.checkAnswered(checked('3', { userId: '77', maxSessions: 2 }));
    clock.advance(1000);
    tracker.checkAnswered(checked('4', { userId: '77', maxSessions: 2, unique: true }));
    tracker.checkAnswered(checked('5', { userId: '88', maxSessions: 1, unique: true }));
    clock.advance(1000);
    tracker.checkAnswered(checked('6', { userId: '88', maxSessions: 1, unique: true }));
    astra.sessions = listed(1, 2, 3, 4, 5, 6);
    await connector.poll();
    expect(astra.closed.sort()).toEqual([2, 5]);
    expect(astra.sessions.map((s) => s.client_id)).toEqual([1, 3, 4, 6]);
    expect(
      rows
        .filter((r) => r.endReason === 'over-limit')
        .map((r) => r.session)
        .sort(),
    ).toEqual(['2', '5']);
    expect(connector.state().closed).toBe(2);
  });

  it("closes a local user's sessions past maxConnections, the newest first, as the local-users step counted them", async () => {
    const { clock, logs, rows, tracker, connector } = setup();
    const bob = {
      decidedBy: 'user:bob',
      sessionName: 'bob',
      countedAs: { user: 'local:bob', limit: 1, unique: false },
    };
    tracker.checkAnswered(checked('20', bob));
    clock.advance(1000);
    tracker.checkAnswered(checked('21', bob));
    // A local user without a limit is never closed.
    tracker.checkAnswered(checked('22', { decidedBy: 'user:carol', sessionName: 'carol' }));
    tracker.checkAnswered(checked('23', { decidedBy: 'user:carol', sessionName: 'carol' }));
    astra.sessions = listed('20', '21', '22', '23');
    await connector.poll();
    expect(astra.closed).toEqual(['21']);
    expect(rows.filter((r) => r.endReason === 'over-limit').map((r) => [r.session, r.user])).toEqual([['21', 'bob']]);
    expect([...tracker.list().sessions].map((s) => s.session).sort()).toEqual(['20', '22', '23']);
    const closedLines = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(closedLines.filter((line) => line.message === 'session closed over its connection limit')).toEqual([
      expect.objectContaining({ level: 'info', server: 'edge1', session: '21', user: 'bob', limit: 1 }),
    ]);
  });

  it("counts a user's sessions on every server: each server closes its own extra ones", async () => {
    const edge2 = await startAstraMock('admin', 's3cret-pass');
    try {
      const { clock, tracker, connectors } = twoServers(edge2, { callers: ['10.9.9.9'] });
      const limited = { userId: '42', maxSessions: 1 };
      tracker.checkAnswered(checked('30', limited));
      clock.advance(1000);
      tracker.checkAnswered(checked('31', limited, '10.9.9.9'));
      astra.sessions = listed('30');
      edge2.sessions = listed('31');
      await connectors.poll();
      // The server that answers first cannot know of the other's session yet: by the second poll
      // both have listed theirs, and the newest is closed on the server it is on.
      await connectors.poll();
      expect(astra.closed).toEqual([]);
      expect(edge2.closed).toEqual(['31']);
      expect([...tracker.list().sessions].map((s) => s.session)).toEqual(['30']);
      connectors.close();
    } finally {
      await edge2.stop();
    }
  });

  it('two servers on one host (one caller address): a session one lists is not ended because the other does not', async () => {
    const edge2 = await startAstraMock('admin', 's3cret-pass');
    try {
      const { clock, tracker, connectors } = twoServers(edge2);
      const limited = { userId: '42', maxSessions: 1 };
      tracker.checkAnswered(checked('c1', limited));
      astra.sessions = listed('c1');
      edge2.sessions = [];
      for (let poll = 0; poll < 3; poll++) {
        clock.advance(10_000);
        await connectors.poll();
      }
      expect([...tracker.list().sessions].map((s) => s.session)).toEqual(['c1']);
      // Still counted: a second session of the user over its limit is closed, the one playing is kept.
      clock.advance(1000);
      tracker.checkAnswered(checked('c2', limited));
      edge2.sessions = listed('c2');
      await connectors.poll();
      await connectors.poll();
      expect(edge2.closed).toEqual(['c2']);
      expect(astra.closed).toEqual([]);
      // Once the server that lists it stops, it has ended.
      astra.sessions = [];
      clock.advance(10_000);
      await connectors.poll();
      expect([...tracker.list().sessions]).toEqual([]);
      connectors.close();
    } finally {
      await edge2.stop();
    }
  });

  it("ends only Astra's own sessions: an SRS or Flussonic server on the same host sends checks from there too", async () => {
    const { clock, tracker, connector } = setup();
    tracker.checkAnswered(checked('astra-1'));
    tracker.checkAnswered({ ...checked('srs-1'), protocol: 'srs' });
    tracker.checkAnswered({ ...checked('flu-1'), protocol: 'flussonic' });
    astra.sessions = [];
    clock.advance(10_000);
    await connector.poll();
    expect([...tracker.list().sessions].map((s) => s.session).sort()).toEqual(['flu-1', 'srs-1']);
  });

  it('a revoke closes many sessions a few at a time, not one after another, on a server that hangs on each', async () => {
    const { tracker, connector } = setup({ timeoutMs: 60_000 });
    const sessions = Array.from({ length: 20 }, (_, n) => `r${n}`);
    for (const session of sessions) tracker.checkAnswered(checked(session, {}, '127.0.0.1', 'revoked-token'));
    astra.sessions = listed(...sessions);
    await connector.poll();
    astra.holdCloses = true;
    const closing = connector.close(connector.listed(), 'revoked');
    await vi.waitFor(() => expect(astra.closesHeld).toBe(16));
    astra.releaseCloses();
    await vi.waitFor(() => expect(astra.closesHeld).toBe(4));
    astra.releaseCloses();
    expect((await closing).map((s) => s.row.session).sort()).toEqual([...sessions].sort());
    expect(tracker.liveCount()).toBe(0);
  });

  it('revoke closes by token, login (also X-Session-Name) and user id; a close Astra missed is made at the next poll', async () => {
    const clock = new ManualClock();
    const rows: SessionRow[] = [];
    const tracker = new SessionTracker({ idleTtlSeconds: 3600, maxLive: 1000, clock, sink: (row) => rows.push(row) });
    const connectors = createConnectors({ edge1: serverConfig() }, tracker, clock, memoryLogger([]));
    tracker.checkAnswered(checked('40', {}, '127.0.0.1', 'tok-40'));
    tracker.checkAnswered(checked('41', { sessionName: 'alice' }));
    tracker.checkAnswered(checked('42', { decidedBy: 'user:bob', sessionName: 'bob' }));
    tracker.checkAnswered(checked('43', { userId: 'stb-7' }));
    astra.sessions = listed('40', '41', '42', '43');
    await connectors.poll();
    const closedBy = async (identity: Parameters<typeof connectors.closeViewer>[0]) =>
      (await connectors.closeViewer(identity)).closed.map((c) => c.session);
    expect(await closedBy({ token: 'tok-40' })).toEqual(['40']);
    expect(await closedBy({ login: 'alice' })).toEqual(['41']);
    expect(await closedBy({ login: 'bob' })).toEqual(['42']);

    await astra.stop();
    expect(await closedBy({ userId: 'stb-7' })).toEqual([]);
    expect([...tracker.list().sessions].map((s) => s.session)).toEqual(['43']);
    await astra.start();
    await connectors.poll();
    expect(astra.closed).toEqual(['40', '41', '42', '43']);
    expect(tracker.liveCount()).toBe(0);
    expect(rows.filter((r) => r.endReason === 'revoked').map((r) => r.session)).toEqual(['40', '41', '42', '43']);
    connectors.close();
  });

  it('closeViewer closes a revoked viewer on the servers that serve its sessions, no other', async () => {
    const clock = new ManualClock();
    const log = memoryLogger([]);
    const tracker = new SessionTracker({ idleTtlSeconds: 3600, maxLive: 1000, clock });
    const connectors = createConnectors({ edge1: serverConfig() }, tracker, clock, log);
    tracker.checkAnswered(checked('10', { userId: '42' }));
    tracker.checkAnswered(checked('11', { userId: '42' }, '10.9.9.9'));
    tracker.checkAnswered(checked('12', { userId: '43' }));
    astra.sessions = listed(10, 12);
    await connectors.poll();
    const result = await connectors.closeViewer({ userId: '42' });
    expect(result).toEqual({ closed: [{ server: 'edge1', route: 'default', session: '10', user: '42' }] });
    expect(astra.closed).toContain(10);
    expect([...tracker.list().sessions].map((s) => s.session).sort()).toEqual(['11', '12']);
    connectors.close();
  });

  it('an unreachable API is logged once per outage, shown in its state, and picked up again', async () => {
    const { logs, tracker, connector } = setup();
    tracker.checkAnswered(checked('1'));
    await astra.stop();
    await connector.poll();
    await connector.poll();
    expect(connector.state()).toMatchObject({
      state: 'down',
      lastError: expect.stringMatching(/ECONNREFUSED|connect/),
    });
    expect(logs.filter((l) => l.includes('streaming server API unreachable'))).toHaveLength(1);
    // The bridge's own sessions are left as they are while the server cannot say.
    expect(tracker.liveCount()).toBe(1);

    await astra.start();
    astra.sessions = listed(1);
    await connector.poll();
    expect(connector.state()).toMatchObject({ state: 'up', matched: 1, lastError: undefined });
    expect(logs.filter((l) => l.includes('streaming server API answers again'))).toHaveLength(1);
  });

  it('wrong credentials and malformed answers are errors that say so, without the password', async () => {
    const wrong = setup({ password: 'wrong-password' });
    await wrong.connector.poll();
    expect(astra.unauthorized).toBe(1);
    expect(wrong.connector.state().lastError).toBe('Astra answered HTTP 401 (check login and password)');

    const { connector, logs } = setup();
    for (const [text, error] of [
      ['<html>', 'Astra answered something that is not JSON'],
      ['{"sessions": {"a": 1}}', "Astra's sessions answer is not a session list"],
      ['{"sessions": [{"channel_id": "a"}]}', "Astra's sessions answer is not a session list"],
    ] as const) {
      astra.answerText = text;
      await connector.poll();
      expect(connector.state()).toMatchObject({ state: 'down' });
      expect(connector.state().lastError).toContain(error);
    }
    expect(logs.join('\n') + JSON.stringify(wrong.logs)).not.toContain('s3cret-pass');
  });
});
