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
  const [outcome, others] = await Promise.all([own, member.reloadOthers()]);
  return { ...outcome, workers: [{ slot: member.slot, result: outcome.result }, ...others] };
}
