import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../support/cli.js';

// What an operator sees when `--workers` or the group's start goes wrong: through the real CLI (dist/cli.js) when
// processes start; the command line's answers to options in this process.
const dir = mkdtempSync(join(tmpdir(), 'bridge-workers-cli-'));
let taken: Server;
let takenPort: number;

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  takenPort = (taken.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
});

function config(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('serve --workers', { timeout: 90_000 }, () => {
  it('is listed by serve --help', async () => {
    const { code, stdout } = await runCliInProcess(['serve', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--workers <n>\s+worker processes serving on the one listener/);
  });

  it.each(['0', 'two', '-1', '1000'])(
    'refuses --workers %s as a usage error (exit 2), starting nothing',
    async (value) => {
      const { code, stderr } = await runCliInProcess([
        'serve',
        '--workers',
        value,
        '--config',
        config('ok.yaml', 'listen: 127.0.0.1:0\n'),
      ]);
      expect(code).toBe(2);
      expect(stderr).toContain('--workers: expected a number from 1 to 256, or auto');
    },
  );

  it('reports a wrong config file once, naming the key, before any worker starts (exit 1)', async () => {
    const file = config('bad.yaml', 'listen: 127.0.0.1:0\ncache: {allowTtl: -5}\n');
    const { code, stderr, stdout } = await runCli(['serve', '--workers', '2', '--config', file]);
    expect(code).toBe(1);
    expect(stderr.match(/cache\.allowTtl/g)).toHaveLength(1);
    expect(stdout).not.toContain('worker listening');
  });

  it('stops the whole group when a worker cannot start: the decisions port is taken (exit 1)', async () => {
    const file = config('taken.yaml', `listen: 127.0.0.1:${takenPort}\nadmin: {listen: off}\nstats: {store: off}\n`);
    const { code, stderr, stdout } = await runCli(['serve', '--workers', '2', '--config', file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot listen on 127.0.0.1:${takenPort}`);
    expect(stderr).toContain('EADDRINUSE');
    expect(stdout).toContain('a worker could not start; stopping');
  });

  it('stops the whole group when the lead cannot open an admin port chosen in the config (exit 1)', async () => {
    const file = config(
      'admin-taken.yaml',
      `listen: 127.0.0.1:0\nadmin: {listen: "127.0.0.1:${takenPort}"}\nstats: {store: off}\n`,
    );
    const { code, stderr } = await runCli(['serve', '--workers', '2', '--config', file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot listen on 127.0.0.1:${takenPort} (admin.listen): EADDRINUSE`);
  });
});
