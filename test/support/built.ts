import { join } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = join(import.meta.dirname, '..', '..');
const built = new Map<string, string>();

/**
 * A module under src/ (`stats/sqliteStore.ts`) bundled on its own into a JavaScript file, for a child
 * process that runs bridge code: plain node on it starts in about a third of the CPU that node with the
 * tsx loader takes to compile the TypeScript again in every child. (dist/ holds the CLI's bundle, not
 * one file per module.) Written under node_modules/.cache, so that its dependencies, left external,
 * resolve from node_modules; once per test process.
 */
export function builtModule(fromSrc: string): string {
  let file = built.get(fromSrc);
  if (file === undefined) {
    file = join(
      ROOT,
      'node_modules',
      '.cache',
      'bridge-test-modules',
      `${process.pid}`,
      fromSrc.replace(/\.ts$/, '.mjs'),
    );
    buildSync({
      entryPoints: [join(ROOT, 'src', fromSrc)],
      outfile: file,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    built.set(fromSrc, file);
  }
  return file;
}
