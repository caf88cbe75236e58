import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/document.js';
import type { BridgeConfig } from '../../src/config/schema.js';
import type { LoadedConfig } from '../../src/lifecycle/configFile.js';
import { createReloader, type ReloadOutcome, type ReloadSteps } from '../../src/lifecycle/reload.js';
import { memoryLogger } from '../support/bridge.js';

const FILE = '/etc/iptv-auth-bridge/bridge.yaml';
const loaded = (port: number, digest: string): LoadedConfig => ({
  config: validateConfig({ listen: port }, FILE, {}),
  digest,
  text: JSON.stringify({ listen: port }),
});

/** A clock that moves one second per reading. */
function steppingClock(start = Date.parse('2026-12-01T10:00:00Z')) {
  let at = start - 1000;
  return () => {
    at += 1000;
    return new Date(at);
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

function setup(steps: Partial<ReloadSteps>) {
  const lines: string[] = [];
  const reloader = createReloader(
    FILE,
    loaded(8088, 'd0'),
    { read: steps.read ?? (() => loaded(8088, 'd1')), apply: steps.apply ?? (() => []) },
    memoryLogger(lines),
    steppingClock(),
  );
  return { reloader, lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('reloader', () => {
  it('puts a valid file in force and records it, with the settings that need a restart logged by name', async () => {
    const applied: BridgeConfig[] = [];
    const { reloader, lines } = setup({
      read: () => loaded(9000, 'd1'),
      apply: (config) => {
        applied.push(config);
        return ['listen'];
      },
    });
    expect(reloader.status()).toEqual({
      file: FILE,
      digest: 'd0',
      since: '2026-12-01T10:00:00.000Z',
      lastReload: undefined,
    });
    const outcome = await reloader.reload('signal');
    expect(outcome).toEqual({
      result: 'ok',
      trigger: 'signal',
      file: FILE,
      at: '2026-12-01T10:00:01.000Z',
      digest: 'd1',
      problems: [],
      restartNeeded: ['listen'],
    });
    expect(applied.map((config) => config.listen.port)).toEqual([9000]);
    expect(reloader.status()).toEqual({
      file: FILE,
      digest: 'd1',
      since: '2026-12-01T10:00:01.000Z',
      lastReload: outcome,
    });
    expect(lines().map((line) => [line.level, line.message])).toEqual([
      ['info', 'config reloaded'],
      ['warn', 'config settings changed that take a restart to apply; their running values stay'],
    ]);
    expect(lines()[1]).toMatchObject({ settings: ['listen'] });
  });

  it('keeps the running config on an invalid file: every problem logged once, in one line, and recorded', async () => {
    let applied = 0;
    const { reloader, lines } = setup({
      read: () => {
        throw new ConfigError(
          ['cache.allowTtl: too small', 'routes.x.backends[0]: unknown backend "b"', 'cache.allowTtl: too small'],
          FILE,
        );
      },
      apply: () => {
        applied++;
        return ['never'];
      },
    });
    const outcome = await reloader.reload('admin');
    expect(outcome).toMatchObject({ result: 'invalid', trigger: 'admin', digest: undefined, restartNeeded: [] });
    expect(outcome.problems).toEqual(['cache.allowTtl: too small', 'routes.x.backends[0]: unknown backend "b"']);
    expect(applied).toBe(0);
    expect(reloader.status()).toMatchObject({ digest: 'd0', since: '2026-12-01T10:00:00.000Z', lastReload: outcome });
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'config not reloaded, the running config stays in force',
        problems: outcome.problems,
      }),
    ]);
  });

  it('names the users file in its problems, and counts a file that cannot be applied as invalid', async () => {
    const { reloader } = setup({
      apply: () => {
        throw new ConfigError(
          ['users[0]: a user needs a password or a token to log in with'],
          '/etc/iptv-auth-bridge/users.yaml',
        );
      },
    });
    const outcome = await reloader.reload('watch');
    expect(outcome).toMatchObject({
      result: 'invalid',
      digest: 'd1',
      problems: ['/etc/iptv-auth-bridge/users.yaml: users[0]: a user needs a password or a token to log in with'],
    });
    expect(reloader.status().digest).toBe('d0');
  });

  it('runs one reload at a time; those arriving meanwhile share one reload run after it', async () => {
    const gates = [deferred<void>(), deferred<void>()];
    const events: string[] = [];
    let reads = 0;
    const { reloader } = setup({
      read: () => {
        reads += 1;
        events.push(`read ${reads}`);
        return loaded(8088, `d${reads}`);
      },
      apply: async () => {
        const run = reads;
        events.push(`apply ${run} started`);
        await gates[run - 1]!.promise;
        events.push(`apply ${run} done`);
        return [];
      },
    });
    const first = reloader.reload('signal');
    // Not started yet: one arriving in the same turn joins it.
    expect(reloader.reload('watch')).toBe(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['read 1', 'apply 1 started']);
    const second = reloader.reload('admin');
    const third = reloader.reload('signal');
    expect(third).toBe(second);
    gates[0]!.resolve();
    expect(await first).toMatchObject({ result: 'ok', digest: 'd1', trigger: 'signal' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['read 1', 'apply 1 started', 'apply 1 done', 'read 2', 'apply 2 started']);
    gates[1]!.resolve();
    expect(await second).toMatchObject({ result: 'ok', digest: 'd2', trigger: 'admin' });
    expect(reads).toBe(2);
  });

  it('tells listeners every outcome; one that throws changes nothing', async () => {
    const seen: ReloadOutcome['result'][] = [];
    let valid = true;
    const { reloader } = setup({
      read: () => {
        if (!valid) throw new ConfigError(['listen: bad'], FILE);
        return loaded(8088, 'd1');
      },
    });
    reloader.onReload(() => {
      throw new Error('metrics broke');
    });
    reloader.onReload((outcome) => seen.push(outcome.result));
    expect((await reloader.reload('signal')).result).toBe('ok');
    valid = false;
    expect((await reloader.reload('signal')).result).toBe('invalid');
    expect(seen).toEqual(['ok', 'invalid']);
  });
});
