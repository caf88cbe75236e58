/** Counters a benchmark reads from /proc around a load window: the processes a process started, its context switches. */
import { readdirSync, readFileSync } from 'node:fs';

/** The processes `pid` started (a primary's workers). */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Context switches (voluntary and not, every thread's) of `pid` and its children so far; undefined without /proc. */
export function contextSwitches(pid: number): number | undefined {
  try {
    let total = 0;
    for (const each of [pid, ...childrenOf(pid)])
      for (const task of readdirSync(`/proc/${each}/task`)) {
        const status = readFileSync(`/proc/${each}/task/${task}/status`, 'utf8');
        for (const match of status.matchAll(/ctxt_switches:\s+(\d+)/g)) total += Number(match[1]);
      }
    return total;
  } catch {
    return undefined;
  }
}
