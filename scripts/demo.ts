/**
 * `npm run demo`: the bridge in front of simulated Ministra, IPTVportal and
 * Smarty middlewares (replaying test/fixtures) plus a middleware that is down,
 * all on loopback through the real CLI, with curl lines to paste. Runs until
 * Ctrl-C, then stops every process it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/packageRoot.js';
import { closedPort } from '../src/replay/server.js';

// Found from the package, not from this file: the tests run this script bundled elsewhere (test/support/built.ts).
const CLI = join(PACKAGE_ROOT, 'dist', 'cli.js');
const FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures');

interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly address: string;
}

const children: Started[] = [];
let stopping: Promise<never> | undefined;

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Runs the CLI and resolves once its "listening" log line names the address. */
function startCli(name: string, args: string[]): Promise<Started> {
  // Same process group: closing the terminal or a Ctrl-C reaches every process of the demo.
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const address = /\blistening address=(\S+)/.exec(output)?.[1];
      if (!address) return;
      child.stdout.off('data', collect);
      child.stderr.off('data', collect);
      const started = { name, child, address };
      children.push(started);
      resolve(started);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening:\n${output}`)));
  });
}

/** Every later log line of a child, prefixed with its name, so the flow can be followed. */
function relayLogs({ name, child }: Started): void {
  const prefix = `[${name}] `.padEnd(13);
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
    });
  }
  child.once('exit', (code) => {
    if (stopping) return;
    // Exit 0 means someone stopped it on purpose; the demo is over either way.
    if (code !== 0) process.stdout.write(`${prefix}exited unexpectedly (${code}); stopping the demo\n`);
    void stopAll(code === 0 ? 0 : 1);
  });
}

/** A Ctrl-C reaches the children too; they get a moment to stop on their own before they are asked, once. */
function stopChild(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    setTimeout(() => {
      if (isRunning(child)) child.kill('SIGTERM');
    }, 1500).unref();
  });
}

function stopAll(exitCode: number): Promise<never> {
  stopping ??= Promise.all(children.map(({ child }) => stopChild(child))).then(() => process.exit(exitCode));
  return stopping;
}

function demoConfig(urls: Record<'ministra' | 'iptvportal' | 'smarty', string>, downPort: number): string {
  return `# Written by npm run demo. Each route is one middleware; see README for real deployments.
listen: 127.0.0.1:0
log: {level: info, format: text}
backends:
  ministra: {type: ministra, url: "${urls.ministra}/stalker_portal"}
  iptvportal: {type: iptvportal, url: "${urls.iptvportal}"}
  smarty: {type: smarty, url: "${urls.smarty}"}
  down: {type: smarty, url: "http://127.0.0.1:${downPort}", timeoutMs: 500}
routes:
  ministra: {backends: [ministra], denyRedirect: "http://promo.example.com/ministra"}
  iptvportal: {backends: [iptvportal]}
  smarty: {backends: [smarty]}
  # Nothing answers on this backend's port. default: allow keeps viewers watching while
  # the middleware is down; default: deny (the default) would refuse them.
  outage: {backends: [down], default: allow}
`;
}

interface Case {
  readonly what: string;
  readonly expect: string;
  readonly token: string;
}

/** Tokens from the fixture folders (test/fixtures/<middleware>/*.json). */
const CASES: Record<string, { readonly title: string; readonly cases: readonly Case[] }> = {
  ministra: {
    title: 'Ministra/Stalker: chk_flussonic_tmp_link.php, Flussonic style',
    cases: [
      { what: 'allow', expect: '200, X-Session-Name: 1042', token: '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7' },
      {
        what: 'deny, redirect from the route',
        expect: '403, X-Location: http://promo.example.com/ministra',
        token: '0b8d6f4e2c1a39578e6d4c2b0a9f8e7d',
      },
    ],
  },
  iptvportal: {
    title: 'IPTVportal: /auth/arescrypt/, Cesbo style',
    cases: [
      {
        what: 'allow',
        expect: '200, X-Session-Name: 7731',
        token: 'Wm9CtX1qLr8fZp2Hs7dKa4NvYe0JcB6gTu3MiQw5xSoRlDn9PyEh',
      },
      {
        what: "deny, the portal's 302",
        expect: '403, X-Location: https://promo.example.com/iptvportal/renew',
        token: 'Rt5Yu8Io1Pa4Sd7Fg0Hj3Kl6Zx9Cv2Bn5Mq8We1Rt4Yu7Io0Pa3S',
      },
    ],
  },
  smarty: {
    title: 'Microimpuls Smarty: /tvmiddleware/api/streamservice/token/check/, Flussonic style',
    cases: [
      { what: 'allow', expect: '200, X-Session-Name: 5521', token: '5a0e8f1c2b7d4e9a8c3f6b1d0e5a9c2f7b4d8e1a' },
      {
        what: "deny, Smarty's X-Location",
        expect: '403, X-Location: http://promo.example.com/smarty/blocked',
        token: '1f6b3d8a5c0e7b2d9f4a1c6e3b8d5a0c7f2e9b4d',
      },
    ],
  },
  outage: {
    title: 'A middleware that is down: the route default answers at once (log: by=default)',
    cases: [{ what: 'outage, route default allow', expect: '200', token: 'any-token' }],
  },
};

const VIEWER_IP = '203.0.113.7';

/** The same check as Astra/Alta ask it (`/auth/<route>`) and as Flussonic asks it (`/flussonic/<route>`). */
function curlLines(bridge: string, route: string, token: string): string[] {
  const astra = `curl -i '${bridge}/auth/${route}?token=${token}' -H 'X-Real-IP: ${VIEWER_IP}' -H 'X-Real-Path: /play/a001/index.m3u8' -H 'X-Session-ID: 1001'`;
  const flussonic = `curl -i '${bridge}/flussonic/${route}?name=a001&ip=${VIEWER_IP}&token=${token}&proto=hls&session_id=1001&request_type=new_session'`;
  return [astra, flussonic];
}

function banner(bridge: string, middlewares: readonly Started[], downPort: number, configFile: string): string {
  const lines = ['', 'iptv-auth-bridge demo: everything below runs on loopback.', ''];
  for (const { name, address } of middlewares)
    lines.push(`  ${name.padEnd(11)} http://${address}   replaying test/fixtures/${name}/`);
  lines.push(`  ${'down'.padEnd(11)} http://127.0.0.1:${downPort}   nothing listens`);
  lines.push(`  ${'bridge'.padEnd(11)} ${bridge}   config ${configFile}`, '');
  for (const [route, { title, cases }] of Object.entries(CASES)) {
    lines.push(`${title} (route ${route})`);
    for (const { what, expect, token } of cases)
      lines.push(`  # ${what}: expect ${expect}`, ...curlLines(bridge, route, token).map((line) => `  ${line}`));
    lines.push('');
  }
  lines.push('Logs follow (bridge decisions, what each simulated middleware was asked). Press Ctrl-C to stop.', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm run demo does)`);
  // `on`, not `once`: npm and tsx pass a Ctrl-C on, so it can arrive twice.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));
  // A crash of the demo itself must not leave simulated middlewares running.
  process.once('exit', () => {
    for (const { child } of children) if (isRunning(child)) child.kill('SIGTERM');
  });

  const names = ['ministra', 'iptvportal', 'smarty'] as const;
  const middlewares = await Promise.all(
    names.map((name) => startCli(name, ['replay', join(FIXTURES, name), '--listen', '127.0.0.1:0'])),
  );
  const urls = Object.fromEntries(middlewares.map(({ name, address }) => [name, `http://${address}`])) as Record<
    (typeof names)[number],
    string
  >;
  const downPort = await closedPort();
  const configFile = join(mkdtempSync(join(tmpdir(), 'bridge-demo-')), 'demo.yaml');
  writeFileSync(configFile, demoConfig(urls, downPort));
  const bridge = await startCli('bridge', ['serve', '--config', configFile]);

  process.stdout.write(`${banner(`http://${bridge.address}`, middlewares, downPort, configFile)}\n`);
  for (const started of [...middlewares, bridge]) relayLogs(started);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  void stopAll(1);
});
