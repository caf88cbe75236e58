/**
 * Signals that come before `serve` can act on them. SIGHUP ends a Node process unless something listens for it, and a
 * stopped bridge lets every viewer in. The listener is set when this module is first
 * imported: the CLI imports it before anything else, so a SIGHUP that comes
 * while the other modules load (seconds on a loaded machine) or while `serve`
 * starts is kept, and handled as soon as `serve` has a handler.
 */
let handler: (() => void) | undefined;
let missed = false;

function onHangup(): void {
  if (handler) handler();
  else missed = true;
}

/**
 * SIGUSR1 and SIGUSR2 are what logrotate scripts and nginx habits send. Unheard, SIGUSR1 opens
 * Node's inspector on 127.0.0.1:9229 with no password (anyone on the host could then run code in
 * the bridge) and SIGUSR2 ends the process at once, without a drain. Listening keeps both from
 * happening; the bridge has no log file to reopen, so they do nothing but say so.
 */
let userSignalHandler: ((signal: NodeJS.Signals) => void) | undefined;
for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) process.on(signal, () => userSignalHandler?.(signal));

/** The warning a SIGUSR1 or SIGUSR2 gets once a logger can say it. */
export const USER_SIGNAL_IGNORED =
  'signal ignored: SIGHUP reloads, SIGTERM stops (the log is stdout: nothing to reopen)';

/** Says what a SIGUSR1 or SIGUSR2 did (nothing) from now on; before, they are ignored without a word. */
export function handleUserSignalsWith(next: (signal: NodeJS.Signals) => void): void {
  userSignalHandler = next;
}

/** Handles SIGHUP from now on; one that arrived before any handler is handled at once. */
export function handleHangupsWith(next: () => void): void {
  handler = next;
  if (missed) {
    missed = false;
    next();
  }
}

/**
 * SIGTERM and SIGINT also end a Node process at once, by the signal, unless something listens. `serve` drains on them
 * once it has a handler; before (its modules loading, the config read, a worker of `--workers` still starting) they
 * ended it with status 143 or 130 instead of 0. Kept like a SIGHUP, the first is handled as soon as `serve` has a
 * handler; a second one before that exits at once with 1, as a second stop signal does later.
 */
let stopHandler: ((signal: NodeJS.Signals) => void) | undefined;
let missedStop: NodeJS.Signals | undefined;

function onStop(signal: NodeJS.Signals): void {
  if (stopHandler) stopHandler(signal);
  else if (missedStop !== undefined) process.exit(1);
  else missedStop = signal;
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
for (const signal of STOP_SIGNALS) process.on(signal, onStop);
// Last, after the stop signals' listeners: Node catches SIGTERM and SIGINT itself from its start, so only SIGHUP's
// handler, seen in /proc/<pid>/status, says that every early signal is kept (a loaded machine once stopped the
// process between the two, and a SIGINT sent then ended it by the signal).
process.on('SIGHUP', onHangup);

/** Handles SIGTERM and SIGINT from now on; one that arrived before any handler is handled at once. */
export function handleStopsWith(next: (signal: NodeJS.Signals) => void): void {
  stopHandler = next;
  const missed = missedStop;
  missedStop = undefined;
  if (missed !== undefined) next(missed);
}

/**
 * Commands other than `serve` end on SIGHUP (a closed terminal), SIGTERM and SIGINT as usual; one already missed ends
 * them now.
 */
export function releaseSignals(): void {
  process.off('SIGHUP', onHangup);
  for (const signal of STOP_SIGNALS) process.off(signal, onStop);
  if (missed) process.kill(process.pid, 'SIGHUP');
  if (missedStop !== undefined) process.kill(process.pid, missedStop);
}
