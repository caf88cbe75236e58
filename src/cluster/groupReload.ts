import type { ReloadOutcome } from '../lifecycle/reload.js';
import type { GroupMember } from './member.js';

/** How a reload ended in each worker of the group, for `POST /admin/reload`. */
export type GroupReloadOutcome = ReloadOutcome & { readonly workers?: readonly object[] };

/**
 * `POST /admin/reload` in a group: the lead reloads itself while the primary
 * has every other worker do the same (they read the same file); the answer is
 * the lead's outcome with each worker's result.
 */
export async function reloadedEverywhere(
  own: Promise<ReloadOutcome>,
  member?: GroupMember,
): Promise<GroupReloadOutcome> {
  if (member === undefined) return own;
  // A primary that does not answer (stopped, say) leaves the others' outcome unknown, not failed: they may have
  // reloaded (each reads the file itself), and this worker's own outcome stands.
  const othersOrUnknown = member
    .reloadOthers()
    .catch((error: Error) => [{ result: 'unknown', error: `the primary did not answer: ${error.message}` }]);
  const [outcome, others] = await Promise.all([own, othersOrUnknown]);
  return { ...outcome, workers: [{ slot: member.slot, result: outcome.result }, ...others] };
}
