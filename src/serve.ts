import { setFlagsFromString } from 'node:v8';
import { createBridge } from './bridge.js';
import { loadConfigFile } from './config/load.js';
import { formatHostPort } from './config/schema.js';
import { createLogging, exitOnceFlushed, type Logger } from './log.js';
import { createRecorder } from './record/recorder.js';
import { secretEnvValues } from './secrets.js';
import { createRequestListener } from './server/app.js';
import { listen } from './server/listen.js';

/**
 * A log reader that goes away (a dead pipe to a log shipper) must not take the
 * bridge down: without these listeners every failed write is an uncaught error.
 */
function surviveBrokenOutput(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}

function keepRunningOnStrayErrors(log: Logger): void {
  const report = (what: string) => (error: unknown) => {
    try {
      log.error(what, { error: error instanceof Error ? error.message : String(error) });
    } catch {
      // Nowhere left to report to; serving matters more.
    }
  };
  process.on('unhandledRejection', report('unhandled rejection'));
  process.on('uncaughtException', report('uncaught exception'));
}

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
}

/** `serve`: runs until SIGTERM/SIGINT, then drains in-flight requests and exits 0; a second signal forces exit 1. */
export async function serve(file: string, options: ServeOptions = {}): Promise<void> {
  keepRequestObjectsYoung();
  surviveBrokenOutput();
  const config = loadConfigFile(file);
  const { log, decisions } = createLogging(config.log);
  keepRunningOnStrayErrors(log);
  const recorder = options.recordDir === undefined ? undefined : createRecorder(options.recordDir, log, { knownSecrets: secretEnvValues(process.env) });
  const bridge = createBridge(config, log, { observeExchange: recorder?.observe });
  // Loaded here, not at the top: the other CLI commands need none of it (pg and SQLite take a while to load).
  const statistics = (await import('./stats/startStatistics.js')).startStatistics({ config, log });
  const app = createRequestListener({ decider: bridge.decider, trustedCallers: config.trustedCallers, maxQueryBytes: config.limits.maxQueryBytes, log, decisions, health: () => bridge.health(), observer: statistics.observer });
  const running = await listen(app, { ...config.listen, maxHeaderBytes: config.limits.maxHeaderBytes, log }).catch((error: unknown) => {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot listen on ${formatHostPort(config.listen.host, config.listen.port)} (listen in ${file}): ${reason}`);
  });
  log.info('listening', { address: formatHostPort(running.address.address, running.address.port), config: file, record: options.recordDir });

  // In-flight decisions are bounded by their route's budget, so that is all the grace they need.
  const graceMs = Math.max(...Object.values(config.routes).map((r) => r.timeoutMs)) + 1000;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn('second stop signal: exiting without waiting', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('stopping', { signal });
    void running
      .stop(graceMs)
      .then(() => bridge.close())
      .then(() => statistics.close())
      .then(() => recorder?.flush())
      .then(
        () => 0,
        (error: unknown) => {
          log.error('stop did not finish cleanly', { error: error instanceof Error ? error.message : String(error) });
          return 1;
        },
      )
      .then((code) => {
        log.info('stopped');
        exitOnceFlushed(log, code);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
