import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The compiled form of a module under src/ (`stats/sqliteStore.ts` -> dist/stats/sqliteStore.js), for a
 * child process that runs bridge code: plain node on the build starts in about a third of the CPU that
 * node with the tsx loader takes to compile the TypeScript again in every child.
 */
export function builtModule(fromSrc: string): string {
  const file = join(import.meta.dirname, '..', '..', 'dist', fromSrc.replace(/\.ts$/, '.js'));
  if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build" (npm test does it first)`);
  return file;
}
