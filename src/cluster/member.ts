import cluster from 'node:cluster';
import type { CacheConfig } from '../config/schema.js';
import { systemClock } from '../clock.js';
import type { SocketRole } from '../server/socketActivation.js';
import { memoryStore } from '../store/memory.js';
import type { Store } from '../store/types.js';
import { Channel, type Peer } from './channel.js';
import { relayObserver, replayInto, type SessionRelay, type SessionTarget } from './eventRelay.js';
import type { WorkerStatus } from './groupStatus.js';
import type { WorkerReload } from './groupReload.js';
import { PRIMARY_ANSWER_MS, runLocally, workerStore } from './workerStore.js';

/** The worker that runs the admin listener and keeps the statistics (sessions are one table for the group). */
export const LEAD_SLOT = 1;

const SLOT = 'IAB_WORKER_SLOT';
const FD_OF: Readonly<Record<SocketRole, string>> = { decisions: 'IAB_DECISIONS_FD', admin: 'IAB_ADMIN_FD' };

/**
 * What the primary gathers from every worker (a revoke's share, metrics, statuses, reloads) waits for
 * the slowest of them: longer than the primary waits for any one (primary.ts), so its own answer comes first.
 */
const GROUP_ANSWER_MS = 5000;
const GROUP_RELOAD_MS = 15_000;

/** What a worker reports once it serves: where its (shared) decision listener is. */
export interface ReadyReport {
  readonly address: string;
  readonly port: number;
}

/** The environment of worker `slot`: its number, and the descriptors of the sockets systemd passed the primary. */
export function memberEnv(slot: number, sockets: ReadonlyMap<SocketRole, number>): Record<string, string> {
  const env: Record<string, string> = { [SLOT]: String(slot) };
  for (const [role, fd] of sockets) env[FD_OF[role]] = String(fd);
  return env;
}

/**
 * The config file's text in force in the group, and the file's version (`fileVersion`) it was read at. A worker
 * starts from it, not from the file as it is now: one started again after a save that was not reloaded (or
 * that a reload refused) then serves what the others serve.
 */
export interface ConfigInForce {
  readonly text: string;
  readonly version: string;
}

/** What a worker starts from: the text the group started on (its fixed settings run) and the one in force. */
export interface GroupConfig {
  readonly started: string;
  readonly inForce: ConfigInForce;
}

/** What the worker's `serve` gives the group once it is built. */
export interface MemberHooks {
  readonly status: () => WorkerStatus;
  /** This worker's metrics as prom-client's JSON, for the group's `/metrics` (the primary merges them). */
  readonly metricsJson: () => Promise<unknown>;
  /** As SIGHUP does; resolves with the outcome's result. */
  readonly reload: () => Promise<{ readonly result: string }>;
  /** Drain and exit, once (a second request changes nothing); `reason` is the primary's, for the log. */
  readonly stop: (reason: string) => void;
  /** The lead's session tracker, fed with the other workers' answered checks. */
  readonly statistics?: SessionTarget;
}

/** One worker of `serve --workers N`, as its `serve` sees the group. */
export interface GroupMember {
  readonly slot: number;
  /** Runs the admin listener and the statistics. */
  readonly leads: boolean;
  /** The sockets systemd passed the primary (the primary listens on them for the group). */
  readonly sockets: ReadonlyMap<SocketRole, number>;
  /** The store for `cache`: the memory store shared through the primary; undefined for Redis (already shared). */
  store(cache: CacheConfig): Store | undefined;
  /** For workers other than the lead: sends answered checks on to the lead's statistics. */
  readonly relay: SessionRelay;
  /** The lead's views of the whole group. */
  metrics(): Promise<string>;
  statuses(): Promise<readonly WorkerStatus[]>;
  reloadOthers(): Promise<readonly WorkerReload[]>;
  /** The config to start from: what the group serves. */
  groupConfig(): Promise<GroupConfig>;
  /** This worker put `config` in force (a reload): a worker started again later starts from it. */
  applied(config: ConfigInForce): void;
  joined(hooks: MemberHooks): void;
  ready(report: ReadyReport): void;
}

function inheritedSockets(env: NodeJS.ProcessEnv): Map<SocketRole, number> {
  const sockets = new Map<SocketRole, number>();
  for (const [role, name] of Object.entries(FD_OF) as [SocketRole, string][]) {
    const fd = env[name];
    if (fd !== undefined) sockets.set(role, Number(fd));
  }
  return sockets;
}

/** Why a worker drains on its own: the IPC channel closed, which the primary never does but by dying. */
export const PRIMARY_GONE = 'the primary is gone';

/**
 * node:cluster exits a worker the moment its channel to the primary closes, resetting every check in
 * flight on it (and a streaming server lets a reset viewer in). A primary killed outright (kill -9, the
 * OOM killer) is the only way it closes, so the worker drains as on SIGTERM instead: the checks it holds
 * are answered, then it exits. Marking the disconnect as expected is what keeps node:cluster's own
 * handler, which runs right after this one, from exiting.
 */
function keepServingChecksInFlightWhenOrphaned(channel: Channel, joined: () => MemberHooks | undefined): void {
  const worker = cluster.worker!;
  worker.once('disconnect', () => {
    channel.close(PRIMARY_GONE);
    const hooks = joined();
    // Still starting: nothing in flight yet, and nothing to drain with; node:cluster exits it.
    if (hooks === undefined) return;
    worker.exitedAfterDisconnect = true;
    hooks.stop(PRIMARY_GONE);
  });
}

/** This process's place in the group; undefined when it is not a worker of `serve --workers N`. */
export function groupMember(env: NodeJS.ProcessEnv = process.env): GroupMember | undefined {
  if (!cluster.isWorker || env[SLOT] === undefined) return undefined;
  const slot = Number(env[SLOT]);
  let hooks: MemberHooks | undefined;
  let local: Store | undefined;
  const joinedHooks = () => {
    if (hooks === undefined) throw new Error('the worker is still starting');
    return hooks;
  };
  const peer: Peer = { send: (message, callback) => process.send!(message, undefined, undefined, callback) };
  const channel = new Channel(peer, {
    // The primary's watchdog: answered by this event loop, so a wedged worker stays silent.
    ping: () => true,
    status: () => joinedHooks().status(),
    metricsJson: () => joinedHooks().metricsJson(),
    reload: () => joinedHooks().reload(),
    stop: (reason: string) => joinedHooks().stop(reason),
    events: (batch: string) => replayInto(joinedHooks().statistics, batch),
    storeLocal: (method: string, args: readonly unknown[]) => runLocally(local, method, args),
  });
  process.on('message', (message: unknown) => channel.receive(message));
  keepServingChecksInFlightWhenOrphaned(channel, () => hooks);
  return {
    slot,
    leads: slot === LEAD_SLOT,
    sockets: inheritedSockets(env),
    store(cache) {
      if (cache.store !== 'memory') return undefined;
      local = memoryStore({ maxEntries: cache.maxEntries });
      return workerStore(local, (handler, method, args) =>
        channel.call(handler, [method, args], handler === 'store' ? PRIMARY_ANSWER_MS : GROUP_ANSWER_MS),
      );
    },
    relay: relayObserver((batch) => channel.tell('events', [batch]), systemClock),
    metrics: () => channel.call<string>('metrics', [], GROUP_ANSWER_MS),
    statuses: () => channel.call<WorkerStatus[]>('statuses', [], GROUP_ANSWER_MS),
    reloadOthers: () => channel.call<WorkerReload[]>('reloadOthers', [], GROUP_RELOAD_MS),
    groupConfig: () => channel.call<GroupConfig>('groupConfig', [], GROUP_ANSWER_MS),
    applied: (config) => channel.tell('applied', [config]),
    joined(next) {
      hooks = next;
    },
    ready: (report) => channel.tell('ready', [report]),
  };
}
