import type { RequestListener } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { formatHostPort, type BridgeConfig } from './config/schema.js';
import { configOfText, type LoadedConfig, readConfigFile } from './lifecycle/configFile.js';
import { warnOfLowFileLimit } from './lifecycle/fileLimit.js';
import { fileVersion } from './lifecycle/watch.js';
import type { Logger } from './log.js';
import type { EarlyRefusal } from './server/earlyRefusal.js';
import type { RunningServer } from './server/listen.js';
import { takeInheritedSockets } from './server/socketActivation.js';
import { surviveBrokenOutput } from './lifecycle/strayErrors.js';
import type { GroupConfig, GroupMember } from './cluster/member.js';

/**
 * V8 allocates objects straight into the old generation when most objects of
 * their allocation site survived a young-generation GC. Under a steady stream
 * of cached decisions it misjudges request-scoped objects this way: they then
 * pile up in the old generation until a full GC, and every young-generation GC
 * slows down (measured at 40,000 decisions/s: 1.2 ms instead of 0.5 ms per
 * scavenge, 10% fewer decisions per second). Set before any request is served.
 */
function keepRequestObjectsYoung(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}

export interface ServeOptions {
  /** `--record DIR`: write every middleware exchange there as a fixture file. */
  readonly recordDir?: string;
  /** Set in a worker of `serve --workers N`: its place in the group. */
  readonly member?: GroupMember;
}

/** Listens where `listen` says, or on the socket systemd passed; an error says where and why not. */
async function listenForDecisions(
  app: RequestListener,
  config: BridgeConfig,
  file: string,
  socket: number | undefined,
  log: Logger,
  refused: EarlyRefusal,
): Promise<RunningServer> {
  const where =
    socket === undefined
      ? `${formatHostPort(config.listen.host, config.listen.port)} (listen in ${file})`
      : `the decisions socket passed by systemd (fd ${socket})`;
  const { listen } = await import('./server/listen.js');
  const running = await listen(app, {
    ...config.listen,
    fd: socket,
    maxHeaderBytes: config.limits.maxHeaderBytes,
    log,
    refused,
  }).catch((error: unknown) => {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(
      `cannot listen on ${where}: ${reason}${socket === undefined ? '' : ' (not a listening TCP socket)'}`,
    );
  });
  const address = running.server.address();
  if (address === null || typeof address === 'string') {
    // A Unix socket: its callers have no address to check against trustedCallers, so every check would be refused.
    await running.stop(0);
    throw new Error(`cannot listen on ${where}: not a TCP socket (ListenStream= needs an IP address and port)`);
  }
  return running;
}

/** The config a worker serves: the group's in force, with the running values of the settings fixed at its start. */
async function groupConfigOf({ started, inForce }: GroupConfig, file: string): Promise<LoadedConfig> {
  const loaded = configOfText(inForce.text, file);
  if (started === inForce.text) return loaded;
  const { withFixedSettingsOf } = await import('./lifecycle/restartSettings.js');
  return { ...loaded, config: withFixedSettingsOf(configOfText(started, file).config, loaded.config) };
}

/**
 * `serve`: runs until SIGTERM/SIGINT, then drains in-flight requests and exits 0; a second signal forces exit 1. SIGHUP
 * reloads.
 */
export async function serve(file: string, options: ServeOptions = {}): Promise<void> {
  keepRequestObjectsYoung();
  surviveBrokenOutput();
  const { member } = options;
  // In a group, the lead alone keeps statistics and runs the admin listener; the others relay to it.
  const leads = member?.leads ?? true;
  // Before the read: a save made while the listeners start is still seen by the watch. A worker of a group starts
  // from the text the group serves (a worker started again after an unreloaded save must not serve that save).
  const group = await member?.groupConfig();
  const readVersion = group?.inForce.version ?? fileVersion(file);
  const loaded = group === undefined ? readConfigFile(file) : await groupConfigOf(group, file);
  const { config } = loaded;
  const {
    createBridge,
    handleHangupsWith,
    handleStopsWith,
    handleUserSignalsWith,
    USER_SIGNAL_IGNORED,
    createReloader,
    settingsNeedingRestart,
    configWatch,
    keepRunningOnStrayErrors,
    createLogging,
    exitOnceFlushed,
    createRecorder,
    secretEnvValues,
    bridgeRequestListener,
    observeAll,
    systemClock,
    keepCountedSlots,
    traceCheck,
    reloadedEverywhere,
    workerStatus,
    earlyRefusals,
  } = await import('./serving.js');
  const logging = createLogging(config.log);
  const { log, decisions } = logging;
  const warn = (message: string, fields: object) => log.warn(message, fields);
  keepRunningOnStrayErrors(log);
  // Taken once the log exists: a socket whose name matches no listener is served with a warning there.
  const sockets = member?.sockets ?? takeInheritedSockets((message, fields) => log.warn(message, fields));
  const recorder =
    options.recordDir === undefined
      ? undefined
      : createRecorder(options.recordDir, log, {
          knownSecrets: secretEnvValues(process.env),
          writer: member && `w${member.slot}`,
        });
  let live = config;
  // Loaded here, not with the CLI: the other commands need neither the metrics library nor the
  // statistics databases' drivers (pg and SQLite take a while to load).
  const { createOperations } = await import('./admin/operations.js');
  const statistics = leads ? (await import('./stats/startStatistics.js')).startStatistics({ config, log }) : undefined;
  const adminSocket = sockets.get('admin');
  const operations = createOperations({
    config: () => live,
    configFile: file,
    bridge: () => bridge,
    log,
    actions: {
      reload: () => reloadedEverywhere(reloader.reload('admin'), member, warn),
      revoke: async (target) => {
        // Sessions are closed on the streaming servers by the process that tracks them (the lead worker).
        const [dropped, onServers] = await Promise.all([
          bridge.revoke(target),
          statistics?.connectors.closeViewer(target),
        ]);
        return { ...dropped, closed: onServers?.closed ?? [] };
      },
      flush: (route) => bridge.flush(route),
      trace: (route, query, headers) =>
        traceCheck(live, route, { dialect: 'cesbo', query, headers }, { circuits: bridge.health().backends }),
    },
    sessions: statistics?.sessions,
    stats: statistics?.stats,
    streamingServers: statistics ? () => statistics.connectors.states() : undefined,
    inheritedAdmin: adminSocket === undefined ? undefined : { fd: adminSocket },
    group: member,
  });
  const observer = observeAll([operations.observer, statistics?.observer ?? member!.relay], (error) =>
    log.error('observer failed', { error: error instanceof Error ? error.message : String(error) }),
  );
  const bridge = createBridge(config, log, {
    observeExchange: recorder?.observe,
    observer,
    store: member?.store(config.cache),
  });
  if (statistics)
    keepCountedSlots(statistics.sessions, bridge.sessionCounts, {
      idleTtlSeconds: config.sessions.idleTtl,
      clock: systemClock,
    });
  const requestListenerFor = (next: BridgeConfig) => bridgeRequestListener(bridge, next, { log, decisions, observer });
  // Replaced on a reload (trusted callers, limits); a request in progress keeps the one it started with.
  let app = requestListenerFor(config);
  const socket = sockets.get('decisions');
  const running = await listenForDecisions(
    (req, res) => app(req, res),
    config,
    file,
    socket,
    log,
    earlyRefusals(log, observer),
  );
  // In a group the primary says `listening`, once every worker serves.
  log.info(member ? 'worker listening' : 'listening', {
    address: formatHostPort(running.address.address, running.address.port),
    config: file,
    socket: socket === undefined ? undefined : 'systemd',
    record: options.recordDir,
    worker: member?.slot,
  });
  if (leads) warnOfLowFileLimit(log);
  // After the decision listener: it matters more, and may itself be on the admin's default port.
  if (leads)
    await operations.start().catch(async (error: unknown) => {
      await running.stop(0);
      throw error;
    });
  operations.serving();

  // In a group the lead alone watches the file, and has every worker reload (as POST /admin/reload does): each
  // watching for itself, one worker could read a save halfway, turn its own watch off with it, and stay on it.
  const watch = configWatch(file, () => void reloadedEverywhere(reloader.reload('watch'), member, warn), readVersion);
  // The text a reload read and the file's version, taken before reading it (a save landing in between is reported
  // again); the primary keeps both for a worker it starts again.
  let read = { text: loaded.text, version: readVersion };
  const reloader = createReloader(
    file,
    loaded,
    {
      read: () => {
        const version = fileVersion(file);
        const next = readConfigFile(file);
        read = { text: next.text, version };
        return next;
      },
      apply: async (next) => {
        await bridge.reconfigure(next);
        app = requestListenerFor(next);
        logging.setLevel(next.log.level);
        watch.follow(next.reload.watch && leads, read.version);
        member?.applied(read);
        live = next;
        return settingsNeedingRestart(config, next);
      },
    },
    log,
    () => new Date(systemClock.now()),
    // Every worker reads the same file: the lead logs the outcome once for the group.
    leads,
  );
  // The admin listener counts the reloads it was asked for itself.
  reloader.onReload((outcome) => {
    if (outcome.trigger !== 'admin') operations.reloaded(outcome);
  });
  watch.follow(config.reload.watch && leads);
  handleHangupsWith(() => void reloader.reload('signal'));

  // In-flight decisions are bounded by their route's budget, so that is all the grace they need.
  const graceMs = () => Math.max(...Object.values(live.routes).map((r) => r.timeoutMs)) + 1000;
  let stopping = false;
  /** `signal`: the one this process got; `groupReason`: why the primary stops the group (it asked this worker). */
  const stop = (signal: string | undefined, groupReason?: string) => {
    if (stopping) {
      // In a group the primary alone forces: the signal may reach a worker as well as the primary's request.
      if (member) return;
      log.warn('second stop signal: exiting without waiting', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info(member ? 'worker stopping' : 'stopping', { worker: member?.slot, signal, reason: groupReason });
    watch.close();
    handleHangupsWith(() => log.info('SIGHUP while stopping: not reloaded'));
    operations.draining();
    void running
      .stop(graceMs())
      // What this worker answered last reaches the lead's statistics before it exits.
      .then(() => member?.relay.flush())
      // An operator's request under way (a trace waits on a middleware) is answered within a route's budget.
      .then(() => operations.close(graceMs()))
      .then(() => bridge.close())
      .then(() => statistics?.close())
      .then(() => recorder?.flush())
      .then(
        () => 0,
        (error: unknown) => {
          log.error('stop did not finish cleanly', { error: error instanceof Error ? error.message : String(error) });
          return 1;
        },
      )
      .then((code) => {
        log.info(member ? 'worker stopped' : 'stopped', { worker: member?.slot });
        exitOnceFlushed(log, code);
      });
  };
  handleUserSignalsWith((signal) => log.warn(USER_SIGNAL_IGNORED, { signal }));
  if (member) {
    const startedAt = systemClock.now();
    member.joined({
      status: () =>
        workerStatus(
          member.slot,
          bridge.health(),
          operations.backends(),
          operations.metrics.totals(),
          Math.round((systemClock.now() - startedAt) / 1000),
          reloader.status().digest,
        ),
      metricsJson: () => operations.metrics.registry.getMetricsAsJSON(),
      reload: () => reloader.reload('signal'),
      stop: (reason) => stop(undefined, reason),
      statistics: statistics?.sessions,
    });
    member.ready({ address: running.address.address, port: running.address.port });
  }
  // Last, once everything is set up: a SIGTERM or SIGINT that came while the bridge started is acted on here.
  handleStopsWith((signal) => stop(signal));
}
