import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../packageRoot.js';

/*
 * Under tsx and vitest a thread's module is TypeScript, which a bare worker cannot load. Registering tsx's
 * loader in each thread cost about 650 ms of CPU a start (its hooks thread, and every module of the graph
 * through it); the module bundled on its own with esbuild, run on plain node, takes about 200 ms, and the
 * bundle is made once per process. esbuild is a devDependency, loaded only here: in dist/ a thread's module
 * is already a bundle chunk and never comes this way.
 */

const bundles = new Map<string, string>();

/** The URL a worker thread can import for `moduleUrl`: itself, or for a TypeScript source, its bundle. */
export function threadModuleUrl(moduleUrl: string): string {
  if (!moduleUrl.endsWith('.ts')) return moduleUrl;
  let bundle = bundles.get(moduleUrl);
  if (bundle === undefined) {
    const source = fileURLToPath(moduleUrl);
    // Under node_modules, so that the dependencies it leaves external resolve as they do from src/.
    const outfile = join(
      PACKAGE_ROOT,
      'node_modules',
      '.cache',
      'bridge-thread-modules',
      `${process.pid}`,
      relative(PACKAGE_ROOT, source),
    ).replace(/\.ts$/, '.mjs');
    const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    buildSync({
      entryPoints: [source],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    bundle = pathToFileURL(outfile).href;
    bundles.set(moduleUrl, bundle);
  }
  return bundle;
}
