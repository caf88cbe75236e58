import { join } from 'node:path';
import { bundleForNode } from '../../src/threads/moduleThread.js';

const ROOT = join(import.meta.dirname, '..', '..');
const built = new Map<string, string>();

/**
 * `entry` (a path from the repository's root) bundled on its own into a JavaScript file, for a child process:
 * plain node on it starts in about a third of the CPU that node with the tsx loader takes to compile the
 * TypeScript again in every child (0.5 s). Written under node_modules/.cache, so that its dependencies, left
 * external, resolve from node_modules; once per test process.
 */
function bundled(entry: string): string {
  let file = built.get(entry);
  if (file === undefined) {
    file = join(
      ROOT,
      'node_modules',
      '.cache',
      'bridge-test-modules',
      `${process.pid}`,
      entry.replace(/\.ts$/, '.mjs'),
    );
    bundleForNode(join(ROOT, entry), file);
    built.set(entry, file);
  }
  return file;
}

/** A module under src/ (`stats/sqliteStore.ts`), for a child process that runs bridge code (dist/ holds the CLI's bundle, not one file per module). */
export function builtModule(fromSrc: string): string {
  return bundled(join('src', fromSrc));
}

/** A program under scripts/ (`demo.ts`), for a test that runs it as a process. */
export function builtScript(name: string): string {
  return bundled(join('scripts', name));
}

/** A helper program under test/support/ (`socketSupervisor.ts`), for a test that runs it as a process. */
export function builtSupport(name: string): string {
  return bundled(join('test', 'support', name));
}
