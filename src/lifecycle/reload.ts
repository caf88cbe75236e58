import { ConfigError } from '../config/document.js';
import type { BridgeConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { LoadedConfig } from './configFile.js';

/** What asked for a reload: SIGHUP, a change of the file (`reload.watch`), or `POST /admin/reload`. */
export type ReloadTrigger = 'signal' | 'watch' | 'admin';

export interface ReloadOutcome {
  /** `ok`: the new config is in force. `invalid`: nothing changed, the previous config stays. */
  readonly result: 'ok' | 'invalid';
  readonly trigger: ReloadTrigger;
  readonly file: string;
  /** When the reload finished (ISO 8601). */
  readonly at: string;
  /** sha256 of the file as read; absent when it could not be read. */
  readonly digest?: string;
  /** `invalid`: every problem found, each once, each naming its key. */
  readonly problems: readonly string[];
  /** `ok`: settings changed in the file that keep their running value until a restart. */
  readonly restartNeeded: readonly string[];
}

/** The config in force, for `/admin/status`. */
export interface ConfigStatus {
  readonly file: string;
  /** sha256 of the file text now in force (compare with `sha256sum FILE`). */
  readonly digest: string;
  /** When it was put in force (at start, or by the last applied reload; ISO 8601). */
  readonly since: string;
  /** The last reload, applied or not; undefined before the first. */
  readonly lastReload: ReloadOutcome | undefined;
}

export interface Reloader {
  /**
   * Re-reads the config file and the users file, validates them whole and
   * puts them in force, or keeps the running config when anything is wrong.
   * Never rejects. Calls arriving while one runs share the one reload run
   * after it (it reads the file after all of them arrived).
   */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome>;
  status(): ConfigStatus;
  /** Called after every reload, applied or not (for metrics); a listener that throws is ignored. */
  onReload(listener: (outcome: ReloadOutcome) => void): void;
}

export interface ReloadSteps {
  /** Reads and validates the file (a ConfigError lists its problems). */
  read(): LoadedConfig;
  /**
   * Puts a validated config in force, or throws a ConfigError (the users file,
   * say) having changed nothing. Resolves with the settings that need a restart.
   */
  apply(config: BridgeConfig): readonly string[] | Promise<readonly string[]>;
}

/** Every problem once; those of another file (the users file) name it. */
function problemsOf(error: unknown, file: string): string[] {
  if (!(error instanceof ConfigError)) return [`(bridge): ${error instanceof Error ? error.message : String(error)}`];
  return [
    ...new Set(error.problems.map((problem) => (error.source === file ? problem : `${error.source}: ${problem}`))),
  ];
}

/**
 * Reloads `file` through `steps`, one at a time, remembering the last outcome.
 * `announce: false` logs no outcome: in a group of workers one of them tells it for all.
 */
export function createReloader(
  file: string,
  initial: LoadedConfig,
  steps: ReloadSteps,
  log: Logger,
  now: () => Date = () => new Date(),
  announce = true,
): Reloader {
  let inForce = { digest: initial.digest, since: now().toISOString() };
  let lastReload: ReloadOutcome | undefined;
  const listeners: ((outcome: ReloadOutcome) => void)[] = [];

  async function reloadOnce(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    let digest: string | undefined;
    let outcome: ReloadOutcome;
    try {
      const loaded = steps.read();
      digest = loaded.digest;
      const restartNeeded = await steps.apply(loaded.config);
      outcome = { result: 'ok', trigger, file, at: now().toISOString(), digest, problems: [], restartNeeded };
      inForce = { digest: loaded.digest, since: outcome.at };
      if (announce) log.info('config reloaded', { file, trigger, digest });
      if (announce && restartNeeded.length > 0)
        log.warn('config settings changed that take a restart to apply; their running values stay', {
          file,
          settings: restartNeeded,
        });
    } catch (error) {
      outcome = {
        result: 'invalid',
        trigger,
        file,
        at: now().toISOString(),
        digest,
        problems: problemsOf(error, file),
        restartNeeded: [],
      };
      if (announce)
        log.warn('config not reloaded, the running config stays in force', {
          file,
          trigger,
          problems: outcome.problems,
        });
    }
    lastReload = outcome;
    for (const listener of listeners) {
      try {
        listener(outcome);
      } catch {
        // A metric that fails to count is no reason to report the reload differently.
      }
    }
    return outcome;
  }

  // One reload at a time: an older read must never be put in force after a newer one.
  let previous: Promise<unknown> = Promise.resolve();
  let waiting: Promise<ReloadOutcome> | undefined;
  return {
    reload(trigger) {
      if (waiting) return waiting;
      const next = previous.then(() => {
        waiting = undefined;
        return reloadOnce(trigger);
      });
      waiting = next;
      previous = next;
      return next;
    },
    status: () => ({ file, digest: inForce.digest, since: inForce.since, lastReload }),
    onReload(listener) {
      listeners.push(listener);
    },
  };
}
