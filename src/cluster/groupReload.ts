import type { ReloadOutcome } from '../lifecycle/reload.js';
import type { GroupMember } from './member.js';

/** How one worker's reload ended: its outcome's result, or `failed`/`unknown` with why. */
export interface WorkerReload {
  readonly slot?: number;
  readonly result: string;
  readonly error?: string;
}

/** How a reload ended in each worker of the group, for `POST /admin/reload`. */
export type GroupReloadOutcome = ReloadOutcome & { readonly workers?: readonly WorkerReload[] };

export const RELOADED_UNALIKE = 'workers did not all reload alike';

/**
 * Warns, naming each worker's result, when the group's workers did not all reload the same way (one read the
 * file at another moment, one did not answer): the lead logs the outcome once for the group, so a worker left on
 * other rules would otherwise go unseen.
 */
export function warnUnlessAlike(
  workers: readonly WorkerReload[],
  warn: (message: string, fields: { workers: readonly WorkerReload[] }) => void,
): void {
  const results = new Set(workers.map(({ result }) => result));
  if (results.size > 1 || results.has('failed') || results.has('unknown')) warn(RELOADED_UNALIKE, { workers });
}

/**
 * `POST /admin/reload` in a group: the lead reloads itself while the primary
 * has every other worker do the same (they read the same file); the answer is
 * the lead's outcome with each worker's result, and a warning when they differ.
 */
export async function reloadedEverywhere(
  own: Promise<ReloadOutcome>,
  member: GroupMember | undefined,
  warn: (message: string, fields: { workers: readonly WorkerReload[] }) => void,
): Promise<GroupReloadOutcome> {
  if (member === undefined) return own;
  // A primary that does not answer (stopped, say) leaves the others' outcome unknown, not failed: they may have
  // reloaded (each reads the file itself), and this worker's own outcome stands.
  const othersOrUnknown = member
    .reloadOthers()
    .catch((error: Error): WorkerReload[] => [
      { result: 'unknown', error: `the primary did not answer: ${error.message}` },
    ]);
  const [outcome, others] = await Promise.all([own, othersOrUnknown]);
  const workers = [{ slot: member.slot, result: outcome.result }, ...others];
  warnUnlessAlike(workers, warn);
  return { ...outcome, workers };
}
