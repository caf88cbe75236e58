/** A TTL both stores accept: whole seconds, at least 1 (node-cache reads 0 as "forever", Redis refuses it). */
export function storeTtlSeconds(ttlSeconds: number): number {
  return Number.isFinite(ttlSeconds) ? Math.max(1, Math.ceil(ttlSeconds)) : 1;
}
