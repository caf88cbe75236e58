import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtScript } from '../support/built.js';

const ROOT = join(import.meta.dirname, '..', '..');
let demo: ChildProcess | undefined;

afterAll(() => {
  // The demo and the processes it started share its process group, so a failed test leaves nothing behind.
  if (demo?.pid !== undefined && demo.exitCode === null) process.kill(-demo.pid, 'SIGKILL');
});

interface PrintedCheck {
  readonly label: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly url: string;
  readonly send: Record<string, string>;
}

/** Each `curl -i 'URL' -H 'Name: value'` line under the `# what: expect STATUS, Header: value` line before it. */
function printedChecks(text: string): PrintedCheck[] {
  const checks: PrintedCheck[] = [];
  let expectation: Omit<PrintedCheck, 'url' | 'send'> | undefined;
  for (const line of text.split('\n')) {
    const promise = /^\s*# (.+): expect (\d{3})(?:, (.+))?$/.exec(line);
    if (promise) {
      const headers = Object.fromEntries(
        (promise[3] ?? '')
          .split(', ')
          .filter(Boolean)
          .map((pair) => pair.split(': ') as [string, string]),
      );
      expectation = { label: promise[1]!, status: Number(promise[2]), headers };
      continue;
    }
    const curl = /^\s*curl -i '([^']+)'(.*)$/.exec(line);
    if (!curl) continue;
    const send = Object.fromEntries(
      [...curl[2]!.matchAll(/-H '([^:]+): ([^']*)'/g)].map((match) => [match[1]!, match[2]!]),
    );
    checks.push({ ...expectation!, url: curl[1]!, send });
  }
  return checks;
}

function startDemo(): Promise<{ child: ChildProcess; banner: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [builtScript('demo.ts')], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo = child;
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl-C to stop')) resolve({ child, banner: output, exited });
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`demo exited with ${code}:\n${output}`)));
  });
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
}

describe('npm run demo', () => {
  it('prints curl lines whose answers are what it says, in both dialects, and stops everything on Ctrl-C', async () => {
    const { child, banner, exited } = await startDemo();
    const checks = printedChecks(banner);
    const count = (kind: string) => checks.filter((check) => check.label.startsWith(kind)).length;
    // Ministra, IPTVportal and Smarty each: an allow and a deny with redirect; then the outage. Each in both dialects.
    expect([count('allow'), count('deny'), count('outage')]).toEqual([6, 6, 2]);
    expect(checks.filter((check) => check.url.includes('/auth/'))).toHaveLength(7);
    expect(checks.filter((check) => check.url.includes('/flussonic/'))).toHaveLength(7);

    for (const check of checks) {
      const res = await fetch(check.url, { headers: check.send });
      const got = {
        label: check.label,
        url: check.url,
        status: res.status,
        headers: Object.fromEntries(Object.keys(check.headers).map((name) => [name, res.headers.get(name)])),
      };
      expect(got).toEqual({ label: check.label, url: check.url, status: check.status, headers: check.headers });
    }

    const addresses = [...banner.matchAll(/(http:\/\/127\.0\.0\.1:\d+) {3}(?:replaying|config)/g)].map(
      (match) => match[1]!,
    );
    expect(addresses).toHaveLength(4);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const address of addresses) expect(await refused(`${address}/`)).toBe(true);
  });
});
