import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtSupport } from '../support/built.js';
import { CLI, killLeftoverServers, startServe, workFolder } from '../support/cli.js';
import { logLines, type LogLine } from '../support/logLines.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

// systemd-socket-activate (Debian package systemd) opens the socket and sets LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES as systemd does.
const SUPERVISOR = builtSupport('socketSupervisor.ts');
const dir = mkdtempSync(join(tmpdir(), 'bridge-sockets-'));
let middleware: ReplayServer;

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'), { keepReceived: false });
});
afterAll(async () => {
  killLeftoverServers();
  await middleware.close();
});

/** Ports nothing listens on, all different (each held while the next is chosen). */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function configFile(name: string, listen: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `listen: ${listen}\nstats: {store: off}\nbackends:\n  mw: {type: http, url: "${middleware.url}/auth/check", timeoutMs: 2000}\n`,
  );
  return file;
}

/** One check on a connection of its own, as a streaming server opening a new connection sends it: the status, or why none came. */
function checkOnce(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = get(
      {
        host: '127.0.0.1',
        port,
        path: '/auth?token=good-token',
        agent: false,
        headers: { 'X-Real-IP': '203.0.113.7', 'X-Channel-ID': 'a001' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 'no status'));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.setTimeout(15_000, () => req.destroy(Object.assign(new Error('no answer within 15 s'), { code: 'ETIMEDOUT' })));
  });
}

interface CheckLoop {
  /** Resolves once `count` more checks have come back (answered or failed). */
  settled(count: number): Promise<void>;
  stop(): Promise<{ allowed: number; failures: Map<string, number> }>;
}

/** Two clients checking back to back until stopped (at most `maxChecks`). */
function checkLoop(port: number, clients = 2, maxChecks = 20_000): CheckLoop {
  let allowed = 0;
  const failures = new Map<string, number>();
  let settled = 0;
  let sent = 0;
  let stopped = false;
  let waiters: { at: number; resolve: () => void }[] = [];
  const client = async () => {
    while (!stopped && sent++ < maxChecks) {
      const outcome = await checkOnce(port);
      if (outcome === 200) allowed += 1;
      else {
        failures.set(String(outcome), (failures.get(String(outcome)) ?? 0) + 1);
        // Pacing, not a signal: refused connections come back at once, and a tight loop of them would starve the restart.
        await sleep(5);
      }
      settled += 1;
      waiters = waiters.filter((waiter) => {
        if (settled < waiter.at) return true;
        waiter.resolve();
        return false;
      });
    }
  };
  const running = Promise.all(Array.from({ length: clients }, client));
  return {
    settled: (count) => new Promise((resolve) => waiters.push({ at: settled + count, resolve })),
    stop: async () => {
      stopped = true;
      await running;
      return { allowed, failures };
    },
  };
}

/** The supervisor holding the sockets (fd 3 onwards, in this order), once they listen, and a way to wait for what it and serve write. */
async function supervise(config: string, sockets: { port: number; name: string }[]) {
  const listen = sockets.flatMap(({ port }) => ['-l', `127.0.0.1:${port}`]);
  const names = `--fdname=${sockets.map(({ name }) => name).join(':')}`;
  const child: ChildProcessWithoutNullStreams = spawn(
    'systemd-socket-activate',
    [...listen, names, process.execPath, SUPERVISOR, CLI, config],
    { cwd: workFolder() },
  );
  let output = '';
  let waiters: { from: number; match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  const look = () => {
    waiters = waiters.filter((waiter) => {
      const found = logLines(output.slice(waiter.from)).find(waiter.match);
      if (found) waiter.resolve(found);
      return !found;
    });
  };
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    look();
  });
  const closed = new Promise<never>((_resolve, reject) =>
    child.once('close', (code) => reject(new Error(`supervisor exited with ${code}:\n${output}`))),
  );
  closed.catch(() => undefined);
  // A connection made before systemd-socket-activate listens is refused, and would start nothing.
  const bound = new Promise<void>((resolve) =>
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (sockets.every(({ port }) => output.includes(`Listening on 127.0.0.1:${port} `))) resolve();
    }),
  );
  await Promise.race([bound, closed]);
  return {
    /** The next line matching, written after this call; rejects with everything written when the supervisor exits first. */
    next: (match: (line: LogLine) => boolean) =>
      Promise.race([new Promise<LogLine>((resolve) => waiters.push({ from: output.length, match, resolve })), closed]),
    send: (command: 'start' | 'stop') => child.stdin.write(`${command}\n`),
    close: () =>
      new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        child.stdin.end();
      }),
  };
}

// Each test starts and stops bridge processes, seconds each on a loaded 2-core machine.
describe('socket activation', { timeout: 90_000 }, () => {
  it('serves on the socket systemd passes, and a restart refuses no check while a client loops', async () => {
    const port = (await freePorts(1))[0]!;
    // The listen setting is ignored when a socket is passed: the socket is where the unit says.
    const supervisor = await supervise(configFile('activated.yaml', '127.0.0.1:1'), [{ port, name: 'decisions' }]);
    let listening = supervisor.next((line) => line.message === 'listening');
    supervisor.send('start');
    // systemd-socket-activate starts the supervisor when the first connection arrives; that check waits in the queue.
    const first = checkOnce(port);
    expect(await listening).toMatchObject({ address: `127.0.0.1:${port}`, socket: 'systemd' });
    expect(await first).toBe(200);

    const loop = checkLoop(port);
    await loop.settled(20);
    const exited = supervisor.next((line) => line.supervisor === 'exited');
    supervisor.send('stop');
    expect(await exited).toMatchObject({ code: 0 });
    // No process accepts now: checks wait in the socket's queue, held by the supervisor.
    listening = supervisor.next((line) => line.message === 'listening');
    supervisor.send('start');
    await listening;
    await loop.settled(20);
    const { allowed, failures } = await loop.stop();
    console.info(
      `restart under socket activation: ${allowed} checks allowed, failures ${JSON.stringify([...failures])}`,
    );
    expect([...failures]).toEqual([]);
    expect(allowed).toBeGreaterThanOrEqual(41);
    await supervisor.close();
  });

  it('takes the socket named decisions when admin is passed too', async () => {
    const [admin, decisions] = (await freePorts(2)) as [number, number];
    const supervisor = await supervise(configFile('named.yaml', '127.0.0.1:1'), [
      { port: admin, name: 'admin' },
      { port: decisions, name: 'decisions' },
    ]);
    const listening = supervisor.next((line) => line.message === 'listening');
    supervisor.send('start');
    const first = checkOnce(decisions);
    expect(await listening).toMatchObject({ address: `127.0.0.1:${decisions}`, socket: 'systemd' });
    expect(await first).toBe(200);
    await supervisor.close();
  });

  /** Runs serve to its end with `env` and fd 3 as given; LISTEN_PID names it, as a service manager sets it after forking. */
  async function serveRefusing(
    env: NodeJS.ProcessEnv,
    fd3: number | 'ignore',
    name: string,
  ): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(
      '/bin/sh',
      [
        '-c',
        'LISTEN_PID=$$ exec "$0" "$@"',
        process.execPath,
        CLI,
        'serve',
        '--config',
        configFile(`refused-${name}.yaml`, '127.0.0.1:0'),
      ],
      {
        cwd: workFolder(),
        stdio: ['ignore', 'pipe', 'pipe', fd3],
        env: { ...process.env, ...env },
      },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stderr };
  }

  // Side by side, each with config files of its own: three serve starts, none waiting on another.
  it.concurrent.each([
    [
      'LISTEN_FDS is not a number',
      { LISTEN_FDS: 'x' },
      'socket activation: LISTEN_FDS: expected a positive number of sockets, got "x"',
    ],
    [
      'the names do not match the count',
      { LISTEN_FDS: '1', LISTEN_FDNAMES: 'decisions:admin' },
      'LISTEN_FDNAMES: names 2 sockets but LISTEN_FDS passes 1',
    ],
    [
      'fd 3 is a file, not a socket',
      { LISTEN_FDS: '1' },
      'cannot listen on the decisions socket passed by systemd (fd 3): EINVAL (not a listening TCP socket)',
    ],
  ])('refuses to start, exit 1, when %s', async (what, env, message) => {
    const name = what.replace(/\W+/g, '-');
    const file = openSync(configFile(`fd3-${name}.yaml`, '127.0.0.1:0'), 'r');
    const { code, stderr } = await serveRefusing(env, file, name);
    closeSync(file);
    expect(code).toBe(1);
    expect(stderr).toContain(message);
  });

  it('refuses to start, exit 1, on a Unix socket (its callers have no address to check against trustedCallers)', async () => {
    const path = join(dir, 'bridge.sock');
    const activator = spawn(
      'systemd-socket-activate',
      ['-l', path, process.execPath, CLI, 'serve', '--config', configFile('unix.yaml', '127.0.0.1:0')],
      { cwd: workFolder() },
    );
    let stderr = '';
    const listening = new Promise<void>((resolve) =>
      activator.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('Listening on')) resolve();
      }),
    );
    const code = new Promise((resolve) => activator.on('close', resolve));
    await listening;
    // The first connection makes systemd-socket-activate start serve.
    const caller = connect(path).on('error', () => undefined);
    expect(await code).toBe(1);
    caller.destroy();
    expect(stderr).toContain('cannot listen on the decisions socket passed by systemd (fd 3): not a TCP socket');
  });

  it('refuses to start, exit 1, with an admin socket not on a loopback address and no admin.token', async () => {
    const [decisions, admin] = (await freePorts(2)) as [number, number];
    const activator = spawn(
      'systemd-socket-activate',
      [
        '-l',
        `127.0.0.1:${decisions}`,
        '-l',
        `0.0.0.0:${admin}`,
        '--fdname=decisions:admin',
        process.execPath,
        CLI,
        'serve',
        '--config',
        configFile('open-admin.yaml', '127.0.0.1:1'),
      ],
      { cwd: workFolder() },
    );
    let stderr = '';
    const listening = new Promise<void>((resolve) =>
      activator.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if ((stderr.match(/Listening on/g) ?? []).length === 2) resolve();
      }),
    );
    const code = new Promise((resolve) => activator.on('close', resolve));
    await listening;
    // The first connection makes systemd-socket-activate start serve.
    const caller = connect(decisions, '127.0.0.1').on('error', () => undefined);
    expect(await code).toBe(1);
    caller.destroy();
    expect(stderr).toContain(
      `admin.token: required when the admin socket systemd passes is not on a loopback address (0.0.0.0:${admin})`,
    );
  });

  it('without socket activation, the same restart refuses checks (what the socket unit prevents)', async () => {
    const port = (await freePorts(1))[0]!;
    const config = configFile('plain.yaml', `127.0.0.1:${port}`);
    let bridge = await startServe(['--config', config]);
    const loop = checkLoop(port);
    await loop.settled(20);
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
    bridge = await startServe(['--config', config]);
    await loop.settled(20);
    const { failures } = await loop.stop();
    console.info(`restart without socket activation: failures ${JSON.stringify([...failures])}`);
    expect(failures.get('ECONNREFUSED')).toBeGreaterThan(0);
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
  });
});
