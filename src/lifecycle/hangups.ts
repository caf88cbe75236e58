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
