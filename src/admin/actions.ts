/**
 * What the admin listener can be asked to do, as callbacks: the bridge's
 * store, its lifecycle and its tracer carry them out, the admin listener only
 * checks the request, calls, and answers with what they return (JSON).
 */

/** Whose cached allows, token bindings and counted sessions `POST /admin/revoke` drops. */
export type RevokeTarget = { readonly token: string } | { readonly login: string } | { readonly userId: string };

/** How a reload ended; `problems` lists everything wrong with an invalid file. */
export type { ReloadOutcome } from '../lifecycle/reload.js';
import type { ReloadOutcome } from '../lifecycle/reload.js';

export interface AdminActions {
  /** Drops the viewer's cached allows, bindings and sessions; answers what it dropped (and closed). */
  readonly revoke?: (target: RevokeTarget) => Promise<object>;
  /** Drops cached decisions of one route, or all when `route` is undefined; answers what it dropped. */
  readonly flush?: (route: string | undefined) => Promise<object>;
  /** Re-reads, validates and swaps in the configuration (as SIGHUP does). */
  readonly reload?: () => Promise<ReloadOutcome>;
  /** Decides one check as `route` would, uncached, and answers its step-by-step trace (secrets masked). */
  readonly trace?: (route: string, query: string, headers: Readonly<Record<string, string>>) => Promise<object>;
}
