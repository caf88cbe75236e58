import cluster from 'node:cluster';
import type { ServeOptions } from '../serve.js';
import { groupMember } from './member.js';

// Each loaded only where it runs: the primary serves no check, so it need not load the bridge.
const serve = async (file: string, options: ServeOptions) => (await import('../serve.js')).serve(file, options);

/**
 * `serve --workers N`: one process as before for N = 1; otherwise this
 * process is the primary, or (started by it, with the same arguments) one of its workers.
 */
export async function serveWorkers(
  file: string,
  workers: number,
  options: Omit<ServeOptions, 'member'>,
): Promise<void> {
  const member = groupMember();
  if (member === undefined) {
    if (workers === 1 || !cluster.isPrimary) return serve(file, options);
    return (await import('./primary.js')).runPrimary(file, workers);
  }
  try {
    await serve(file, { ...options, member });
  } catch (error) {
    // The primary stops the group when a worker cannot start; the IPC channel would keep this one alive.
    process.stderr.write(`iptv-auth-bridge: worker ${member.slot}: ${(error as Error).message ?? String(error)}\n`);
    process.exit(1);
  }
}
