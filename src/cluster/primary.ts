import cluster, { type Worker } from 'node:cluster';
import { systemClock } from '../clock.js';
import { formatHostPort } from '../config/schema.js';
import { readConfigFile } from '../lifecycle/configFile.js';
import { fileVersion } from '../lifecycle/watch.js';
import {
  handleHangupsWith,
  handleStopsWith,
  handleUserSignalsWith,
  USER_SIGNAL_IGNORED,
} from '../lifecycle/hangups.js';
import { keepRunningOnStrayErrors, surviveBrokenOutput } from '../lifecycle/strayErrors.js';
import { createLogging, exitOnceFlushed } from '../log.js';
import { takeInheritedSockets } from '../server/socketActivation.js';
import { memoryStore } from '../store/memory.js';
import type { Store } from '../store/types.js';
import { Channel, type Handlers } from './channel.js';
import { groupMetricsText } from './groupMetrics.js';
import { type WorkerReload, warnUnlessAlike } from './groupReload.js';
import { NOT_SERVING, type WorkerStatus } from './groupStatus.js';
import { type ConfigInForce, type GroupConfig, LEAD_SLOT, memberEnv, type ReadyReport } from './member.js';
import { storeHub } from './storeHub.js';
import { UNANSWERED_TICKS, WATCH_EVERY_MS, watchWorkers } from './watchdog.js';

/**
 * How long the primary waits for a worker's answer (a status, its share of a revoke); the lead waits longer for the
 * whole.
 */
const WORKER_ANSWER_MS = 2000;
/** A reload reads and checks the config and users files: seconds on a loaded machine. */
const RELOAD_ANSWER_MS = 10_000;
/** A worker that died is started again after this long, so one that cannot start does not spin a core. */
const RESTART_DELAY_MS = 1000;
/** One that died again before it served waits twice as long each time, up to this. */
const MAX_RESTART_DELAY_MS = 30_000;

interface Slot {
  readonly number: number;
  worker: Worker;
  channel: Channel;
  ready: ReadyReport | undefined;
  /** A SIGHUP came while this worker could not yet hear it: it reloads once it serves. */
  reloadPending: boolean;
  /** Starts in a row that ended before the worker served (a users file broken since, say). */
  failedStarts: number;
  /** Why the primary killed it, for the calls it leaves unanswered: set by the watchdog. */
  killedBecause?: string;
}

export interface PrimaryOptions {
  /** Starts a dead worker again later (tests run it at once). */
  readonly later?: (run: () => void, ms: number) => void;
}

/**
 * `serve --workers N`: the primary starts N workers that serve on one
 * listening socket (the kernel spreads the connections: node:cluster's
 * SCHED_NONE, no handle passing per connection), keeps their shared state
 * (`cache.store: memory`: token bindings, session counts), relays between
 * them (statistics to the lead worker, metrics and status for the admin
 * listener, which the lead runs), forwards SIGHUP and SIGTERM, and restarts
 * a worker that dies. It serves no check itself.
 */
export function runPrimary(file: string, count: number, options: PrimaryOptions = {}): void {
  const later = options.later ?? ((run, ms) => setTimeout(run, ms));
  // Read here first: a wrong file fails the start once, naming the key, before any worker starts. Every worker
  // starts from this text, and from what a reload put in force later (a worker's `applied`), not from the file.
  const startVersion = fileVersion(file);
  const { config, text } = readConfigFile(file);
  let inForce: ConfigInForce = { text, version: startVersion };
  const { log } = createLogging(config.log);
  // The primary holds the group together: its own stray error must not take every worker down with it.
  surviveBrokenOutput();
  keepRunningOnStrayErrors(log);
  const sockets = takeInheritedSockets((message, fields) => log.warn(message, fields));
  const shared: Store | undefined =
    config.cache.store === 'memory' ? memoryStore({ maxEntries: config.cache.maxEntries }) : undefined;
  const slots = new Map<number, Slot>();
  const connected = () => [...slots.values()].filter((slot) => slot.worker.isConnected());
  // Only a worker that has served can hold cached decisions: one still starting has none to drop.
  const serving = () => connected().filter((slot) => slot.ready !== undefined);
  let stopping = false;
  let started = false;

  const handlers = (from: number): Handlers => ({
    ...(shared === undefined
      ? {}
      : storeHub(shared, () =>
          serving().map((slot) => (method, args) => slot.channel.call('storeLocal', [method, args], WORKER_ANSWER_MS)),
        )),
    ready: (report: ReadyReport) => workerReady(from, report),
    groupConfig: (): GroupConfig => ({ started: text, inForce }),
    applied: (config: ConfigInForce) => {
      inForce = config;
    },
    metrics: () =>
      groupMetricsText(serving().map((slot) => () => slot.channel.call('metricsJson', [], WORKER_ANSWER_MS))),
    statuses: () =>
      Promise.all(
        [...slots.values()].map((slot) =>
          slot.ready === undefined || !slot.worker.isConnected()
            ? { slot: slot.number, pid: slot.worker.process.pid, error: NOT_SERVING }
            : slot.channel
                .call<WorkerStatus>('status', [], WORKER_ANSWER_MS)
                .catch((error: Error) => ({ slot: slot.number, pid: slot.worker.process.pid, error: error.message })),
        ),
      ),
    // The lead reloaded itself for `POST /admin/reload`; the others follow, and it answers with all outcomes.
    reloadOthers: () => reloadEach(connected().filter((slot) => slot.number !== from)),
    // Answered checks seen by the other workers, for the statistics the lead keeps (off the decision path).
    events: (batch: unknown) => {
      slots.get(LEAD_SLOT)?.channel.tell('events', [batch]);
    },
  });

  function fork(number: number): void {
    const worker = cluster.fork(memberEnv(number, sockets));
    const channel = new Channel(worker, handlers(number));
    // A worker started now starts from the config in force, which an earlier SIGHUP already reloaded.
    const failedStarts = slots.get(number)?.failedStarts ?? 0;
    slots.set(number, { number, worker, channel, ready: undefined, reloadPending: false, failedStarts });
    worker.on('message', (message: unknown) => channel.receive(message));
  }

  function workerReady(number: number, report: ReadyReport): void {
    const slot = slots.get(number);
    if (slot === undefined) return;
    slot.ready = report;
    slot.failedStarts = 0;
    if (slot.reloadPending) {
      slot.reloadPending = false;
      void reloadWorkers([slot]);
    }
    if (started) {
      log.info('worker restarted', { worker: number, pid: slot.worker.process.pid });
      return;
    }
    if (![...slots.values()].every((each) => each.ready !== undefined)) return;
    started = true;
    log.info('listening', {
      address: formatHostPort(report.address, report.port),
      config: file,
      workers: count,
      socket: sockets.has('decisions') ? 'systemd' : undefined,
    });
  }

  // Ticks only once a worker serves (serving() is empty before).
  const stopWatching = watchWorkers(
    () =>
      serving().map((slot) => ({
        key: slot.worker,
        // Past the watchdog's ticks: one ping per worker is out at a time, and it is never given up on first.
        ping: () => slot.channel.call('ping', [], (UNANSWERED_TICKS + 1) * WATCH_EVERY_MS),
        wedged: (silentMs: number) => endWedged(slot, silentMs),
      })),
    systemClock,
  );

  /** Its connections would wait for the caller's timeout: killed, it is started again like any dead worker. */
  function endWedged(slot: Slot, silentMs: number): void {
    log.error('worker not answering; killing it to start it again', {
      worker: slot.number,
      pid: slot.worker.process.pid,
      silentMs,
    });
    slot.killedBecause = `killed after ${silentMs} ms without answering`;
    slot.worker.process.kill('SIGKILL');
  }

  cluster.on('exit', (worker, code, signal) => {
    const slot = [...slots.values()].find((each) => each.worker === worker);
    if (slot === undefined) return;
    slot.channel.close(slot.killedBecause ?? 'the worker exited');
    if (stopping) {
      // One still starting, which the stop ended with SIGTERM (stopAll) before it could handle signals, had served
      // nothing: that is a clean stop, not a failure.
      const endedWhileStarting = slot.ready === undefined && signal === 'SIGTERM';
      if (code !== 0 && !endedWhileStarting) exitCode = 1;
      if (![...slots.values()].some((each) => each.worker.isDead() === false)) void finish(0);
      return;
    }
    // A SIGHUP sent to the whole group (`systemctl kill -s HUP`) ends a worker still loading, before any of its code
    // can keep it: that says nothing of its start, so it is started again as any that died, not taken for one that
    // cannot start.
    const couldNotStart = slot.ready === undefined && signal !== 'SIGHUP';
    if (!started && couldNotStart) {
      // It could not start (its own error is on stderr): the others would serve a group that is not whole.
      log.error('a worker could not start; stopping', { worker: slot.number, code, signal });
      stopAll(undefined, `worker ${slot.number} could not start`, 1);
      return;
    }
    // One that died before it served could not start (its error is on stderr): it is tried again, less often.
    if (couldNotStart) slot.failedStarts += 1;
    slot.ready = undefined;
    const inMs = Math.min(RESTART_DELAY_MS * 2 ** slot.failedStarts, MAX_RESTART_DELAY_MS);
    log.warn('worker died; starting it again', { worker: slot.number, pid: worker.process.pid, code, signal, inMs });
    later(() => {
      if (!stopping) fork(slot.number);
    }, inMs);
  });

  let exitCode = 0;
  async function finish(code: number): Promise<void> {
    await shared?.close();
    log.info('stopped');
    exitOnceFlushed(log, Math.max(code, exitCode));
  }

  /** Stops the group; `signal` when a signal asked for it, and `reason` as each worker logs it. */
  function stopAll(signal: string | undefined, reason: string, code: number): void {
    exitCode = code;
    stopping = true;
    // A draining worker may be slow to answer, and one that does not finish is the drain's to end.
    stopWatching();
    log.info('stopping', { signal, reason: signal === undefined ? reason : undefined, workers: connected().length });
    for (const slot of slots.values()) {
      // A message, not a signal: a worker that also got the signal itself (Ctrl-C reaches the whole group) stops once.
      if (slot.ready) slot.channel.tell('stop', [reason]);
      // One still starting cannot hear the message yet: the signal drains it once it handles signals, or ends it before
      // it serves.
      else if (!slot.worker.isDead()) slot.worker.process.kill('SIGTERM');
    }
    if (connected().length === 0) void finish(code);
  }

  const onStopSignal = (signal: string) => {
    if (!stopping) return stopAll(signal, `the primary got ${signal}`, 0);
    log.warn('second stop signal: exiting without waiting', { signal });
    for (const slot of slots.values()) slot.worker.process.kill('SIGKILL');
    process.exit(1);
  };
  handleUserSignalsWith((signal) => log.warn(USER_SIGNAL_IGNORED, { signal }));

  /** Has each of `targets` reload from the file, and answers each one's result. */
  function reloadEach(targets: readonly Slot[]): Promise<WorkerReload[]> {
    return Promise.all(
      targets.map((slot) =>
        slot.channel
          .call<{ result: string }>('reload', [], RELOAD_ANSWER_MS)
          .then(({ result }) => ({ slot: slot.number, result }))
          .catch((error: Error) => ({ slot: slot.number, result: 'failed', error: error.message })),
      ),
    );
  }

  /**
   * Reloads `targets` for a SIGHUP. The lead logs the outcome for the group; a worker whose
   * result differs (it read the file at another moment, say) is named here, so none goes unseen.
   */
  async function reloadWorkers(targets: readonly Slot[]): Promise<void> {
    warnUnlessAlike(await reloadEach(targets), (message, fields) => log.warn(message, fields));
  }

  // SCHED_NONE: every worker accepts on the one socket itself, as one process would; set before the first fork.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ serialization: 'advanced' });
  for (let number = 1; number <= count; number++) fork(number);

  // After the forks: a SIGHUP that came while the program loaded is handled here, with every slot to mark.
  handleHangupsWith(() => {
    if (stopping) return log.info('SIGHUP while stopping: not reloaded');
    const now = serving();
    for (const slot of slots.values()) if (!now.includes(slot)) slot.reloadPending = true;
    if (now.length > 0) void reloadWorkers(now);
  });
  // After the forks too: a SIGTERM or SIGINT that came while the program loaded stops every slot.
  handleStopsWith(onStopSignal);
}
