/** The processes a benchmark run measures, each on loopback in its own process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../test/support/cli.js';
import { closedPort } from '../test/support/replayServer.js';

export interface Running {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export function waitForPort(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(`http://127.0.0.1:${chunk.toString().trim()}`));
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

/** /proc counts CPU time in USER_HZ, which is 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in seconds; undefined where there is no /proc. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

const children = new Set<ChildProcess>();
// A benchmark that fails halfway must not leave servers running.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export function stopper(child: ChildProcess): () => Promise<void> {
  children.add(child);
  return async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
}

/** A bare node:http server answering 200: the ceiling any Node HTTP service reaches here. */
export async function startPlainServer(): Promise<Running> {
  const source = `require('node:http').createServer((req, res) => { res.writeHead(200, {'content-type': 'text/plain'}); res.end('ok'); })
    .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { url: await waitForPort(child, 'plain server'), pid: child.pid!, stop: stopper(child) };
}

/**
 * A simulated middleware: allows every check after `delayMs`, and counts the
 * checks it was asked (`GET /count`, `GET /reset`), so a scenario can say how
 * many requests reached it.
 */
export async function startCountingMiddleware(
  delayMs = 0,
): Promise<Running & { count(): Promise<number>; reset(): Promise<void> }> {
  const source = `let count = 0;
    require('node:http').createServer((req, res) => {
      if (req.url === '/count') return res.end(String(count));
      if (req.url === '/reset') { count = 0; return res.end('0'); }
      count++;
      const answer = () => { res.writeHead(200, {'x-session-name': 'bench-user', 'x-authduration': '600'}); res.end('ok'); };
      ${delayMs > 0 ? `setTimeout(answer, ${delayMs});` : 'answer();'}
    }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await waitForPort(child, 'middleware');
  return {
    url,
    pid: child.pid!,
    stop: stopper(child),
    count: async () => Number(await (await fetch(`${url}/count`)).text()),
    reset: async () => void (await fetch(`${url}/reset`)).text(),
  };
}

/**
 * The real CLI with a generated config. Its decision log goes to /dev/null as
 * it would to a log file: every decision is still formatted and written.
 */
export async function startBridge(lines: readonly string[]): Promise<Running> {
  const port = await closedPort();
  const config = join(mkdtempSync(join(tmpdir(), 'bridge-bench-')), 'bench.yaml');
  writeFileSync(config, [`listen: 127.0.0.1:${port}`, ...lines, ''].join('\n'));
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (
      await fetch(`${url}/healthz`).then(
        (res) => res.ok,
        () => false,
      )
    )
      return { url, pid: child.pid!, stop: stopper(child) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error('the bridge did not come up within 10 s');
}
