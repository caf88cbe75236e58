/**
 * `npm run build`: dist/cli.js as one bundle (esbuild), each command's code in chunks it loads when it runs.
 * Every `node dist/cli.js` used to load about 320 files one by one (our modules as tsc wrote them, zod's 95,
 * the CommonJS trees of winston, ioredis, undici...): a bundle loads a few, which halves the CPU a start costs
 * (see "Development" in the README). Typechecking stays with tsc (`npm run typecheck`).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');

/**
 * Left to node_modules: packages with a native addon (an esbuild bundle cannot carry a .node file), and
 * pg and ioredis, which the statistics store and the Redis store load only when configured (createRequire at
 * run time): in the bundle, every `serve` would parse and run them at start.
 */
export const EXTERNAL = ['better-sqlite3', 'pg', 'ioredis', '@node-rs/*'];

/**
 * CommonJS code in the bundle calls `require` for Node's own modules and may name `__dirname` (ioredis does, for
 * its friendly error stacks); an ES module has neither, so each output file gets its own.
 */
const COMMONJS_SHIM = [
  "import { createRequire as __cjsRequire } from 'node:module';",
  "import { dirname as __cjsDirname } from 'node:path';",
  "import { fileURLToPath as __cjsPath } from 'node:url';",
  'const require = __cjsRequire(import.meta.url);',
  'const __filename = __cjsPath(import.meta.url);',
  'const __dirname = __cjsDirname(__filename);',
].join(' ');

const UNDICI_PARTS = join(ROOT, 'scripts', 'undiciParts.cjs');

/** `undici` in src/ is scripts/undiciParts.cjs in the bundle; its own `require('undici')` stays in node_modules. */
const undiciParts: Plugin = {
  name: 'undici-parts',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, ({ importer }) =>
      importer === UNDICI_PARTS ? { path: 'undici', external: true } : { path: UNDICI_PARTS },
    );
  },
};

/** Writes the CLI bundle to `outdir` (emptied first: no module of an older layout stays behind). */
export async function buildCli(outdir: string): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [join(ROOT, 'src', 'cli.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [undiciParts],
    banner: { js: COMMONJS_SHIM },
    chunkNames: 'chunks/[name]-[hash]',
    // Stack traces map back to src/ with `node --enable-source-maps`; the sources stay in the repository.
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
}

if (import.meta.filename === process.argv[1]) await buildCli(join(ROOT, 'dist'));
