import type { Logger } from '../log.js';

/**
 * A log reader that goes away (a dead pipe to a log shipper) must not take the
 * bridge down: without these listeners every failed write is an uncaught error.
 */
export function surviveBrokenOutput(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}

export function keepRunningOnStrayErrors(log: Logger): void {
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
