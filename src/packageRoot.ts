import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Where the package is installed, found from this module's own file by walking up to the bridge's
 * package.json: the same answer from src/ (tests), from a module in dist/ and from a chunk of the
 * bundled CLI, whose depth below the root differs.
 */

const NAME = 'iptv-auth-bridge';

function isOurManifest(file: string): boolean {
  if (!existsSync(file)) return false;
  return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === NAME;
}

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (isOurManifest(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`${NAME}: no package.json of ${NAME} above ${from}`);
  }
}

/** The folder that holds the bridge's package.json, config/ and dist/. */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** The version in the bridge's package.json. */
export const VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
