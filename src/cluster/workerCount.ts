import { availableParallelism } from 'node:os';

/** More would be a typo: each worker is a whole bridge process. */
export const MAX_WORKERS = 256;

/** `--workers N|auto`: a whole number from 1 to MAX_WORKERS, or `auto` (one per core); undefined for anything else. */
export function parseWorkerCount(value: string, cores: () => number = availableParallelism): number | undefined {
  if (value === 'auto') return Math.min(cores(), MAX_WORKERS);
  if (!/^\d{1,3}$/.test(value)) return undefined;
  const count = Number(value);
  return count >= 1 && count <= MAX_WORKERS ? count : undefined;
}
