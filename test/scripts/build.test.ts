import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, missingUndiciNames, namesZodLocales } from '../../scripts/build.js';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** A package folder of its own (manifest, shipped config, the repository's node_modules) to build into. */
const pkg = mkdtempSync(join(tmpdir(), 'bridge-build-'));
const dist = join(pkg, 'dist');
const STALE = join(dist, 'bridge.js');

const outputs = (suffix: string) =>
  readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith(suffix));
const bundleText = () => outputs('.js').map((file) => readFileSync(join(dist, file), 'utf8'));

beforeAll(async () => {
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  cpSync(join(ROOT, 'config'), join(pkg, 'config'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  // A module of the layout tsc used to write: the build must not leave it behind.
  mkdirSync(dist);
  writeFileSync(STALE, 'export {};\n');
  await buildCli(dist);
});
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

describe('the CLI bundle', () => {
  it('empties the output folder first', () => {
    expect(existsSync(STALE)).toBe(false);
  });

  it('is an executable entry that loads each command from chunks beside it', () => {
    expect(readFileSync(join(dist, 'cli.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(outputs('.js').filter((file) => file.startsWith('chunks/')).length).toBeGreaterThan(1);
  });

  it('installs the SIGHUP guard before it loads anything else', () => {
    const first = /from "\.\/(chunks\/[^"]+\.js)"/.exec(readFileSync(join(dist, 'cli.js'), 'utf8'))!;
    expect(readFileSync(join(dist, first[1]!), 'utf8')).toContain('process.on("SIGHUP"');
  });

  it('leaves the native addons, pg and ioredis to node_modules', () => {
    const text = bundleText().join('\n');
    expect(text).toContain('import("@node-rs/argon2")');
    expect(text).toContain('import("@node-rs/bcrypt")');
    expect(text).toContain('(import.meta.url)("better-sqlite3")');
    expect(text).toContain('(import.meta.url)("pg")');
    expect(text).toContain('(import.meta.url)("ioredis")');
    expect(text).not.toContain('node_modules/ioredis/');
  });

  it("carries undici's dispatcher, not its fetch, WebSocket, cookies or mock agents", () => {
    const text = bundleText().join('\n');
    expect(text).toContain('node_modules/undici/lib/dispatcher/agent.js');
    for (const part of ['web/websocket', 'web/cookies', 'web/eventsource', 'mock/mock-agent', 'web/fetch/index.js'])
      expect(text).not.toContain(`node_modules/undici/lib/${part}`);
    expect(text).toContain('require("undici")');
  });

  it("refuses to build a module importing a value from undici that the bundle's part of it lacks", () => {
    expect(
      missingUndiciNames("import { Agent, buildConnector } from 'undici';\nimport type { Dispatcher } from 'undici';"),
    ).toEqual([]);
    expect(missingUndiciNames("import { Agent, Pool, fetch as get, type Dispatcher } from 'undici';")).toEqual([
      'Pool',
      'fetch',
    ]);
  });

  it("carries zod's English messages and none of its other languages", () => {
    const text = bundleText().join('\n');
    expect(text).toContain('// node_modules/zod/v4/locales/en.js');
    expect(text.match(/\/\/ node_modules\/zod\/v4\/locales\/[\w-]+\.js/g)).toEqual([
      '// node_modules/zod/v4/locales/en.js',
    ]);
    expect(namesZodLocales("import { z } from 'zod';\nz.config(z.locales.de());")).toBe(true);
    expect(namesZodLocales("import { z } from 'zod';\nconst schema = z.string();")).toBe(false);
  });

  it('loads the bridge for serve only once the config is read: a start refused for its config loads none of it', () => {
    const staticImports = (file: string): string[] =>
      [...readFileSync(join(dist, 'chunks', file), 'utf8').matchAll(/^import (?:[^;]*? from )?"\.\/([^"]+)";/gms)].map(
        (found) => found[1]!,
      );
    const serveChunk = readdirSync(join(dist, 'chunks')).find((file) => /^serve-\w+\.js$/.test(file))!;
    const loaded = new Set<string>();
    for (const pending = [serveChunk]; pending.length > 0; ) {
      const file = pending.pop()!;
      if (loaded.has(file)) continue;
      loaded.add(file);
      pending.push(...staticImports(file));
    }
    const text = [...loaded].map((file) => readFileSync(join(dist, 'chunks', file), 'utf8')).join('\n');
    expect(text).toContain('// src/lifecycle/configFile.ts');
    for (const part of ['src/bridge.ts', 'src/server/listen.ts', 'node_modules/winston/', 'node_modules/undici/'])
      expect(text).not.toContain(`// ${part}`);
  });

  it('has a source map for every file', () => {
    expect(outputs('.js.map').sort()).toEqual(
      outputs('.js')
        .map((file) => `${file}.map`)
        .sort(),
    );
  });

  it('moves no module that finds files by its own place: src/ reaches them through packageRoot.ts', () => {
    const src = join(ROOT, 'src');
    const placed = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && file !== 'packageRoot.ts')
      .flatMap((file) =>
        readFileSync(join(src, file), 'utf8')
          .split('\n')
          // Loading a package through node_modules does not depend on the module's folder, nor does a module
          // that runs itself in a worker thread (ModuleThread): its own URL is its bundle chunk, which moves with it.
          .filter(
            (line) =>
              /import\.meta\.(url|dirname|filename)/.test(line) &&
              !line.includes('createRequire(') &&
              !/new ModuleThread[<(]/.test(line),
          )
          .map((line) => `${file}: ${line.trim()}`),
      );
    expect(placed).toEqual([]);
  });

  it('runs from its own package folder: version, shipped example config', async () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
    const cli = join(dist, 'cli.js');
    expect((await run(process.execPath, [cli, '--version'], { cwd: pkg })).stdout.trim()).toBe(manifest.version);
    const checked = await run(process.execPath, [cli, 'check-config'], { cwd: pkg });
    expect(checked.stdout).toContain(`# ${join(pkg, 'config', 'example.yaml')}: valid`);
  });
});
