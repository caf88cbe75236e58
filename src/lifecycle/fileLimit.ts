import { readFileSync } from 'node:fs';
import type { Logger } from '../log.js';

/**
 * Below this many descriptors a busy bridge runs out: each check's connection, each middleware
 * connection, the stores and the log take one. When none is left the kernel's accept fails and libuv
 * resets the waiting connections without a word to the bridge, and a streaming server lets a reset
 * viewer in. Node raises its own soft limit to the hard one at start, so what is read here is all
 * the process will get.
 */
export const LOW_FILE_LIMIT = 1024;

/** The open-file limit in Linux's `/proc/<pid>/limits` text; undefined when it says none or is not there. */
export function openFileLimitIn(limits: string): number | undefined {
  const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

/** One warning at start when this process may open too few descriptors to serve under load. */
export function warnOfLowFileLimit(log: Logger, readLimits = () => readFileSync('/proc/self/limits', 'utf8')): void {
  let limit: number | undefined;
  try {
    limit = openFileLimitIn(readLimits());
  } catch {
    // Not Linux, or no /proc: nothing to read the limit from, and nothing to say.
    return;
  }
  if (limit !== undefined && limit < LOW_FILE_LIMIT)
    log.warn('open-file limit is low: checks past it are reset unanswered; raise LimitNOFILE or ulimit -n', {
      limit,
      advised: LOW_FILE_LIMIT,
    });
}
