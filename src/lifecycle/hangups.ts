/**
 * SIGHUP ends a Node process unless something listens for it, and a stopped
 * bridge lets every viewer in. The listener is set when this module is first
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

process.on('SIGHUP', onHangup);

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

/** Commands other than `serve` end on SIGHUP as usual (a closed terminal); one already missed ends them now. */
export function releaseHangups(): void {
  process.off('SIGHUP', onHangup);
  if (missed) process.kill(process.pid, 'SIGHUP');
}
