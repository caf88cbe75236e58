/**
 * Which cores each side of a measurement gets. On a machine of two cores or
 * more, the server under test is pinned to core 0 and everything that serves
 * it (this process and its load generators, the simulated middlewares, Redis)
 * to core 1, so the two never take turns on one core. Without `taskset` or
 * with one core, nothing is pinned and the report says so.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const canPin = availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;

/** A set of cores in taskset's list syntax, with the words the report uses for it. */
export interface Cores {
  readonly list: string;
  readonly count: number;
}

export const SERVER_CORE: Cores = { list: '0', count: 1 };
export const LOAD_CORE: Cores = { list: '1', count: 1 };
export const BOTH_CORES: Cores = { list: '0,1', count: 2 };

/** The command line that runs `command` on `cores` (unchanged where nothing can be pinned). */
export function onCores(cores: Cores, command: string, args: readonly string[]): [string, string[]] {
  return canPin ? ['taskset', ['-c', cores.list, command, ...args]] : [command, [...args]];
}

/** This process (every thread) moves to the load core; the processes it starts inherit that unless told otherwise. */
export function pinThisProcessToLoadCore(): void {
  if (canPin) spawnSync('taskset', ['-a', '-p', '-c', LOAD_CORE.list, String(process.pid)], { stdio: 'ignore' });
}

/** How a row's server was placed, in the report's words. */
export function describeCores(cores: Cores): string {
  if (!canPin) return 'unpinned';
  const plural = cores.count > 1 ? 's' : '';
  if (cores === LOAD_CORE) return `1 core (cpu ${cores.list}, with the load generator)`;
  if (cores.list.includes(LOAD_CORE.list))
    return `${cores.count} core${plural} (cpu ${cores.list}; cpu ${LOAD_CORE.list} shared with the load generator)`;
  return `${cores.count} core${plural} (cpu ${cores.list})`;
}

export function coresNote(): string {
  return canPin
    ? `cores: the server under test on ${describeCores(SERVER_CORE)} unless its row says otherwise; load generator, middleware and Redis on cpu ${LOAD_CORE.list}`
    : `cores: nothing pinned (${availableParallelism()} core(s) or no taskset): every process shares every core`;
}
