/**
 * `npm run build`: dist/cli.js as one bundle (esbuild), each command's code in chunks it loads when it runs.
 * Every `node dist/cli.js` used to load about 320 files one by one (our modules as tsc wrote them, zod's 95,
 * the CommonJS trees of winston, ioredis, undici...): a bundle loads a few, which halves the CPU a start costs
 * (see "Development" in the README). Typechecking stays with tsc (`npm run typecheck`).
 */
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
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

/** What undiciParts.cjs hands out. */
const UNDICI_NAMES = new Set(Object.keys(createRequire(import.meta.url)(UNDICI_PARTS) as object));

/**
 * Values a module imports from 'undici' that undiciParts.cjs does not hand out: esbuild would make each
 * `undefined` at run time without a word (type-only imports are erased, so they are fine).
 */
export function missingUndiciNames(source: string): string[] {
  const missing: string[] = [];
  for (const [, names] of source.matchAll(/import\s+(?!type\s)\{([^}]*)\}\s+from\s+'undici'/g)) {
    for (const part of names!.split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)[0]!
        .trim();
      if (name !== '' && !name.startsWith('type ') && !UNDICI_NAMES.has(name)) missing.push(name);
    }
  }
  return missing;
}

/** `undici` in src/ is scripts/undiciParts.cjs in the bundle; its own `require('undici')` stays in node_modules. */
const undiciParts: Plugin = {
  name: 'undici-parts',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, ({ importer }) => {
      if (importer === UNDICI_PARTS) return { path: 'undici', external: true };
      const missing = missingUndiciNames(readFileSync(importer, 'utf8'));
      if (missing.length > 0)
        return {
          errors: [
            { text: `${importer}: undici's ${missing.join(', ')} not in scripts/undiciParts.cjs: add it there` },
          ],
        };
      return { path: UNDICI_PARTS };
    });
  },
};

/**
 * zod's index hands out `z.locales`, its messages in 64 languages (368 KB of the 785 KB its chunk was), and esbuild
 * cannot shake a namespace re-exported behind `z`: every `serve` parsed them at start. The bridge answers in English,
 * which zod's schemas import on their own (`locales/en.js`), so its list of languages becomes an empty one; a module
 * of src/ that names `locales` of zod would find nothing there, and the build refuses it.
 */
const ZOD_NO_LOCALES = join(ROOT, 'scripts', 'zodNoLocales.js');

export function namesZodLocales(source: string): boolean {
  return /from\s+'zod/.test(source) && /\blocales\b/.test(source);
}

const zodWithoutLocales: Plugin = {
  name: 'zod-without-locales',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(importer) ? { path: ZOD_NO_LOCALES } : undefined,
    );
    build.onResolve({ filter: /^zod$/ }, ({ importer }) =>
      namesZodLocales(readFileSync(importer, 'utf8'))
        ? { errors: [{ text: `${importer}: zod's locales are left out of the bundle (see scripts/build.ts)` }] }
        : undefined,
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
    plugins: [undiciParts, zodWithoutLocales],
    // jsonc-parser's `main` is a UMD build that requires its parts by names esbuild cannot follow (the bundle
    // would fail at the first admin body); its ES module build bundles like any other.
    alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
    banner: { js: COMMONJS_SHIM },
    chunkNames: 'chunks/[name]-[hash]',
    // Stack traces map back to src/ with `node --enable-source-maps`; the sources stay in the repository.
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
}

if (import.meta.filename === process.argv[1]) await buildCli(join(ROOT, 'dist'));
