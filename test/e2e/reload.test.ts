import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftoverServers, startServe, type Serving } from '../support/cli.js';
import { logLines, nextLogLine } from '../support/logLines.js';
import { startReplayServer, type ReceivedRequest, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-reload-'));
let middleware: ReplayServer;
let arrivals: ((request: ReceivedRequest) => void)[] = [];

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'), {
    keepReceived: false,
    onRequest: (received) => {
      for (const arrived of arrivals) arrived(received);
    },
  });
});
afterAll(async () => {
  killLeftoverServers();
  await middleware.close();
});

let files = 0;
/** Saves the way deploy tools do: write beside the file, then rename over it. */
function save(file: string, text: string): void {
  const temporary = `${file}.${++files}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

const BACKEND = 'backends:\n  mw: {type: http, url: "${MW_URL}/auth/check", timeoutMs: 2000}\n';

async function serveWith(name: string, text: string): Promise<{ file: string; bridge: Serving }> {
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, bridge: await startServe(['--config', file], { MW_URL: middleware.url }) };
}

/** Sends SIGHUP and resolves with the reload's log line: `config reloaded` or `config not reloaded, ...`. */
async function hangUp(bridge: Serving): Promise<Record<string, unknown>> {
  const reloaded = nextLogLine(bridge, 'config reloaded');
  const refused = nextLogLine(bridge, 'config not reloaded, the running config stays in force');
  bridge.child.kill('SIGHUP');
  return Promise.race([reloaded, refused]);
}

function check(bridge: Serving, token: string, ip: string): Promise<number> {
  return fetch(`${bridge.url}/auth?token=${token}`, { headers: { 'X-Real-IP': ip, 'X-Channel-ID': 'a001' } }).then(
    async (res) => {
      await res.arrayBuffer();
      return res.status;
    },
  );
}

interface SteadyLoop {
  /** Resolves once `count` more checks have been answered. */
  answered(count: number): Promise<void>;
  /** Stops the clients; resolves with what they saw. */
  stop(): Promise<{ allowed: number; failures: string[] }>;
}

/**
 * Clients that check a known viewer again and again until stopped (or a bound
 * is reached). Every check is a cache miss (a new viewer IP each time), so
 * every one goes through the backends of whichever config is in force.
 */
function steadyLoop(bridge: Serving, clients = 4, maxChecks = 20_000): SteadyLoop {
  let allowed = 0;
  const failures: string[] = [];
  let stopped = false;
  let sent = 0;
  let waiters: { at: number; resolve: () => void }[] = [];
  const count = () => {
    const done = allowed + failures.length;
    waiters = waiters.filter((waiter) => {
      if (done < waiter.at) return true;
      waiter.resolve();
      return false;
    });
  };
  const client = async () => {
    while (!stopped && sent < maxChecks) {
      const n = ++sent;
      const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      try {
        const status = await check(bridge, 'good-token', ip);
        if (status === 200) allowed += 1;
        else failures.push(`status ${status}`);
      } catch (error) {
        failures.push(String((error as Error).cause ?? error));
      }
      count();
    }
  };
  const running = Promise.all(Array.from({ length: clients }, client));
  return {
    answered: (more) => new Promise((resolve) => waiters.push({ at: allowed + failures.length + more, resolve })),
    stop: async () => {
      stopped = true;
      await running;
      return { allowed, failures };
    },
  };
}

describe('reload (SIGHUP)', () => {
  it('swaps in a new config under a steady stream of checks without failing one, and the new rules take effect', async () => {
    const plain = `listen: 127.0.0.1:0\nstats: {store: off}\n${BACKEND}`;
    const denying = `listen: 127.0.0.1:0\nstats: {store: off}\nipRules: [deny 198.51.100.9]\n${BACKEND}`;
    const { file, bridge } = await serveWith('steady.yaml', plain);
    expect(await check(bridge, 'good-token', '198.51.100.9')).toBe(200);

    const loop = steadyLoop(bridge);
    const outcomes: unknown[] = [];
    for (let round = 0; round < 6; round++) {
      // Checks are flowing when the signal arrives, and go on flowing after it.
      await loop.answered(25);
      save(file, round % 2 === 0 ? denying : plain);
      outcomes.push((await hangUp(bridge)).message);
      // After each reload the rule of the file just saved decides.
      expect(await check(bridge, 'good-token', '198.51.100.9')).toBe(round % 2 === 0 ? 403 : 200);
    }
    await loop.answered(25);
    const counts = await loop.stop();
    console.info(
      `reload under load: ${counts.allowed} checks allowed, ${counts.failures.length} failed, across ${outcomes.length} reloads`,
    );
    expect(outcomes).toEqual(Array(6).fill('config reloaded'));
    expect(counts.failures).toEqual([]);
    expect(counts.allowed).toBeGreaterThanOrEqual(175);
    expect(bridge.child.exitCode).toBeNull();
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
  });

  it('lets a check under way finish on the config it started with', async () => {
    const { file, bridge } = await serveWith('in-flight.yaml', `listen: 127.0.0.1:0\nstats: {store: off}\n${BACKEND}`);
    const arrived = new Promise<void>((resolve) => (arrivals = [() => resolve()]));
    const inFlight = fetch(`${bridge.url}/auth?token=busy-token`);
    await arrived;
    arrivals = [];
    save(file, 'listen: 127.0.0.1:0\nstats: {store: off}\nroutes:\n  default: {backends: [], default: deny}\n');
    expect((await hangUp(bridge)).message).toBe('config reloaded');
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.headers.get('x-session-name')).toBe('busy');
    expect(await check(bridge, 'busy-token', '203.0.113.7')).toBe(403);
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
  });

  it('ignores a SIGHUP while stopping: the check in flight is answered and the exit is 0', async () => {
    const { bridge } = await serveWith('stopping.yaml', `listen: 127.0.0.1:0\nstats: {store: off}\n${BACKEND}`);
    const arrived = new Promise<void>((resolve) => (arrivals = [() => resolve()]));
    // The middleware never answers: the check stays in flight (and the bridge draining) for the backend's 2 s timeout.
    const inFlight = fetch(`${bridge.url}/auth?token=hang-token`);
    await arrived;
    arrivals = [];
    const stopping = nextLogLine(bridge, 'stopping');
    bridge.child.kill('SIGTERM');
    await stopping;
    const ignored = nextLogLine(bridge, 'SIGHUP while stopping: not reloaded');
    bridge.child.kill('SIGHUP');
    await ignored;
    // Answered: the backend timed out, so the route's default (deny) speaks.
    expect((await inFlight).status).toBe(403);
    expect(await bridge.exited).toBe(0);
  });

  it('keeps the running config on an invalid file and logs every problem once', async () => {
    const { file, bridge } = await serveWith(
      'invalid.yaml',
      `listen: 127.0.0.1:0\nstats: {store: off}\nipRules: [deny 198.51.100.9]\n${BACKEND}`,
    );
    save(
      file,
      `listen: 127.0.0.1:0\nstats: {store: off}\nipRules: [block 198.51.100.9]\ncache: {allowTtl: -5}\nretries: 3\n${BACKEND}`,
    );
    const line = await hangUp(bridge);
    expect(line).toMatchObject({
      level: 'warn',
      message: 'config not reloaded, the running config stays in force',
      trigger: 'signal',
    });
    const problems = line.problems as string[];
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith('ipRules[0]'))).toBe(true);
    expect(problems.some((p) => p.startsWith('cache.allowTtl'))).toBe(true);
    expect(problems).toContain('retries: unknown key');
    // The deny rule of the running config still decides, and nothing else was logged about the file.
    expect(await check(bridge, 'good-token', '198.51.100.9')).toBe(403);
    expect(await check(bridge, 'good-token', '203.0.113.7')).toBe(200);
    const reloadLines = logLines(bridge.output()).filter((l) => String(l.message).includes('reload'));
    expect(reloadLines).toHaveLength(1);

    save(file, '# halfway through a write\n');
    expect(await hangUp(bridge)).toMatchObject({ problems: [expect.stringContaining('(file): is empty')] });
    expect(await check(bridge, 'good-token', '198.51.100.9')).toBe(403);
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
  });

  it('logs settings that need a restart by name and keeps serving where it listens', async () => {
    const { file, bridge } = await serveWith(
      'restart.yaml',
      `listen: 127.0.0.1:0\nstats: {store: off}\nlog: {format: json}\n${BACKEND}`,
    );
    save(file, `listen: 127.0.0.1:1\nstats: {store: off}\nlog: {format: text, level: warn}\n${BACKEND}`);
    // Logged at warn: the new level (warn) already holds for the info line "config reloaded".
    const restart = nextLogLine(
      bridge,
      'config settings changed that take a restart to apply; their running values stay',
    );
    bridge.child.kill('SIGHUP');
    expect((await restart).settings).toEqual(['listen', 'log.format']);
    // Level warn is live: decision lines stop; the format stays JSON until a restart.
    const before = bridge.output().length;
    expect(await check(bridge, 'good-token', '203.0.113.7')).toBe(200);
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
    expect(bridge.output().slice(before)).not.toContain('"message":"decision"');
  });
});

describe('reload.watch', () => {
  it('picks up a saved edit of the config file', async () => {
    const { file, bridge } = await serveWith(
      'watched.yaml',
      `listen: 127.0.0.1:0\nstats: {store: off}\nreload: {watch: true}\n${BACKEND}`,
    );
    expect(await check(bridge, 'good-token', '198.51.100.9')).toBe(200);
    // `listening` comes before the watch starts, and a save before it would go unseen: serve takes SIGHUP
    // only once it watches, so the answered SIGHUP is the event to wait for.
    expect(await hangUp(bridge)).toMatchObject({ trigger: 'signal' });
    const reloaded = nextLogLine(bridge, 'config reloaded');
    save(
      file,
      `listen: 127.0.0.1:0\nstats: {store: off}\nreload: {watch: true}\nipRules: [deny 198.51.100.9]\n${BACKEND}`,
    );
    expect(await reloaded).toMatchObject({ trigger: 'watch' });
    expect(await check(bridge, 'good-token', '198.51.100.9')).toBe(403);
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
  });
});
