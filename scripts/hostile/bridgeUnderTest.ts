import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Exchange } from '../../src/replay/fixtures.js';
import { startReplayServer, type ReplayServer } from '../../src/replay/server.js';
import { CLI } from '../../test/support/cli.js';

/**
 * A real bridge process (the built CLI) in front of a replayed middleware,
 * with every local policy switched on so that hostile input reaches each of
 * them: IP rules, securetoken, local users, a Cesbo-style and a
 * Flussonic-style backend on two routes.
 */
export interface BridgeUnderTest {
  readonly child: ChildProcess;
  readonly port: number;
  /** The inspector's WebSocket address, when started with `--inspect` (NODE_OPTIONS). */
  readonly inspectorUrl: string | undefined;
  readonly middleware: ReplayServer;
  /** Resident memory of the bridge process, in bytes (Linux). */
  rss(): number | undefined;
  /** Sockets the bridge process has open (Linux). */
  openSockets(): number | undefined;
  /** Log lines at level error: a fault in the bridge that reached its last line of defence. */
  strayErrors(): string[];
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** The same answers on both backends' paths. */
const EXCHANGES: Exchange[] = ['/check', '/flussonic'].flatMap((path): Exchange[] => [
  {
    request: { path, query: { token: 'good' } },
    response: { status: 200, headers: { 'X-Session-Name': 'viewer', 'X-UserId': '42', 'X-AuthDuration': '60' } },
  },
  {
    request: { path, query: { token: 'bad' } },
    response: { status: 403, headers: { 'X-Location': 'http://promo.example.com/' } },
  },
  { request: { path, query: { token: 'broken' } }, response: { status: 500 } },
  { request: { path, query: { token: 'slow' } }, response: { status: 200, delayMs: 50 } },
  { request: { path }, response: { status: 403 } },
]);

export interface BridgeUnderTestOptions {
  /** Extra YAML appended to the config (e.g. a cache section). */
  readonly extraConfig?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Cases answered by the middleware; defaults to allow "good", deny "bad", 500 on "broken", 50 ms on "slow", deny the rest. */
  readonly exchanges?: readonly Exchange[];
}

export async function startBridgeUnderTest(options: BridgeUnderTestOptions = {}): Promise<BridgeUnderTest> {
  const middleware = await startReplayServer(options.exchanges ?? EXCHANGES, { keepReceived: false });
  const config = join(mkdtempSync(join(tmpdir(), 'bridge-hostile-')), 'bridge.yaml');
  writeFileSync(
    config,
    [
      'listen: 127.0.0.1:0',
      'log: {level: info, format: json}',
      'ipRules: [deny 192.0.2.66, allow 192.0.2.1]',
      'securetoken: {secret: hostile-secret, hash: path}',
      'users:',
      '  - {login: testuser, password: "87326848", token: 8732684ydbeb8, maxConnections: 2}',
      'backends:',
      `  cesbo: {type: http, url: "${middleware.url}/check", timeoutMs: 1000}`,
      `  fl: {type: flussonic, url: "${middleware.url}/flussonic", timeoutMs: 1000}`,
      'routes:',
      '  default: {backends: [cesbo]}',
      '  fl: {backends: [fl], default: deny}',
      options.extraConfig ?? '',
    ].join('\n'),
  );
  const { child, port, strayErrors, inspectorUrl } = await spawnBridge(config, options.env ?? {});
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pid = child.pid;
  return {
    child,
    port,
    inspectorUrl,
    middleware,
    rss: () => {
      try {
        const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1];
        return kb === undefined ? undefined : Number(kb) * 1024;
      } catch {
        return undefined;
      }
    },
    openSockets: () => {
      try {
        return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
          } catch {
            return false;
          }
        }).length;
      } catch {
        return undefined;
      }
    },
    strayErrors: () => [...strayErrors],
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      await middleware.close();
      return code;
    },
  };
}

const MAX_KEPT_ERRORS = 50;

/**
 * Starts `serve` and resolves with its port once it listens. Of its output only
 * error lines are kept (a few): a long run logs millions of decisions, and
 * keeping them would make the load generator the thing that leaks.
 */
function spawnBridge(
  config: string,
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; port: number; strayErrors: string[]; inspectorUrl: string | undefined }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config], {
    // In the config's own folder: the default statistics file (./data/stats.db) is this run's alone.
    cwd: dirname(config),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const strayErrors: string[] = [];
  let partial = '';
  let inspectorUrl: string | undefined;
  return new Promise((resolve, reject) => {
    let port: number | undefined;
    const onLines = (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        inspectorUrl ??= /^Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
        if (port === undefined && line.includes('"message":"listening"')) {
          port = Number(/"address":"[^"]*:(\d+)"/.exec(line)?.[1]);
          resolve({ child, port, strayErrors, inspectorUrl });
        }
        const stray = line.includes('"level":"error"') || line.startsWith('Error') || line.includes('Uncaught');
        if (stray && strayErrors.length < MAX_KEPT_ERRORS) strayErrors.push(line.slice(0, 500));
      }
    };
    child.stdout!.on('data', onLines);
    child.stderr!.on('data', onLines);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening`)));
  });
}
