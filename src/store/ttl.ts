/** A TTL both stores accept: whole seconds, at least 1 (0 would end the entry as it is stored; Redis refuses it). */
export function storeTtlSeconds(ttlSeconds: number): number {
  return Number.isFinite(ttlSeconds) ? Math.max(1, Math.ceil(ttlSeconds)) : 1;
}
