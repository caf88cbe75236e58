import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

describe('the npm package', () => {
  it('carries what the README installs from it: the CLI, the example config and the systemd units', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
    });
    const [packed] = JSON.parse(stdout) as { files: { path: string }[] }[];
    const paths = packed!.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'dist/cli.js',
        'config/example.yaml',
        'deploy/iptv-auth-bridge.sysusers',
        'deploy/iptv-auth-bridge.service',
        'deploy/iptv-auth-bridge.socket',
        'deploy/iptv-auth-bridge-admin.socket',
      ]),
    );
    // Nothing of the development tree: sources, tests, local data.
    expect(paths.filter((path) => /^(src|test|data|bench)\//.test(path))).toEqual([]);
  }, 60_000);
});
