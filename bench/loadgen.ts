/**
 * The load generator: autocannon in a process of its own on the
 * load core, so its event loop shares nothing with this process's nor the
 * server's. `unique` gives every request a token of its own (autocannon's
 * `[<id>]` replacement): each one a cache miss.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { LOAD_CORE, onCores } from './cores.js';

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon');

export interface LoadSpec {
  readonly url: string;
  /** Path and query; `[<id>]` in it becomes a fresh id per request when `unique`. */
  readonly path: string;
  readonly connections: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Run for this long, or until `amount` requests were answered. */
  readonly seconds?: number;
  readonly amount?: number;
  readonly unique?: boolean;
  /** Seconds a request may wait before it counts as a timeout. */
  readonly timeoutSeconds?: number;
  /** Viewing sessions the requests take turns in: `x-session-id` goes from `first` to `first + count - 1`, then again. */
  readonly sessions?: SessionIds;
}

export interface SessionIds {
  readonly count: number;
  readonly first?: number;
}

export interface LoadResult {
  /** Requests answered per second, on average. */
  readonly rps: number;
  readonly total: number;
  /** Whole milliseconds: autocannon's percentiles are. */
  readonly p50: number;
  readonly p99: number;
  /** Socket errors, timeouts and answers other than 2xx. */
  readonly errors: number;
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/**
 * autocannon's API in a child process: options in, its result as JSON out.
 * `sessions` (no autocannon option) becomes a per-request `x-session-id`,
 * set there because a function cannot cross into the child as JSON.
 */
const RUNNER = `const autocannon = require(process.argv[1]);
  const { sessions, ...options } = JSON.parse(process.argv[2]);
  if (sessions) {
    let n = 0;
    const id = () => String((sessions.first ?? 0) + (n++ % sessions.count));
    options.requests = [{ setupRequest: (req) => ({ ...req, headers: { ...options.headers, 'x-session-id': id() } }) }];
  }
  autocannon(options, (error, result) => {
    if (error) { console.error(error.message); process.exit(1); }
    process.stdout.write(JSON.stringify(result));
  });`;

export async function generateLoad(spec: LoadSpec): Promise<LoadResult> {
  const options = {
    url: `${spec.url}${spec.path}`,
    connections: spec.connections,
    headers: spec.headers,
    idReplacement: spec.unique ?? false,
    timeout: spec.timeoutSeconds ?? 10,
    sessions: spec.sessions,
    ...(spec.amount === undefined ? { duration: spec.seconds ?? 1 } : { amount: spec.amount }),
  };
  const [command, args] = onCores(LOAD_CORE, process.execPath, ['-e', RUNNER, AUTOCANNON, JSON.stringify(options)]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`autocannon exited with ${code}: ${stderr.trim()}`);
  const result = JSON.parse(stdout) as AutocannonJson;
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}
