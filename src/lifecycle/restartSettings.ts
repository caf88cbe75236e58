import { isDeepStrictEqual } from 'node:util';
import { valueAt } from '../adapters/bodyRule.js';

/**
 * Settings read once, when the process starts: the sockets it listens on,
 * the HTTP server's limits, the log's format, the stores it connects to, the
 * admin listener's token and the statistics side.
 * A reload that changes them keeps their running values until a restart
 * (keys other parts of the bridge do not define are simply absent).
 */
const FIXED_UNTIL_RESTART = [
  'listen',
  'limits.maxHeaderBytes',
  // The middleware client (its connection pool) is made once, with the bridge.
  'limits.middlewareConnections',
  'log.format',
  'cache.store',
  'cache.redisUrl',
  'cache.redisTimeoutMs',
  // The Redis store's near-cache is built with it, once.
  'cache.localTtl',
  'cache.maxEntries',
  'admin.listen',
  'admin.token',
  'admin.hosts',
  // The statistics writer and the streaming-server connectors are built once, at start.
  'stats',
  'streamingServers',
] as const;

/** Settings the validated config keeps under other names: `admin.listen` becomes whether, where and on which port. */
const VALIDATED_AS: Readonly<Record<string, readonly string[]>> = {
  'admin.listen': ['admin.enabled', 'admin.host', 'admin.port'],
};

/** The fixed settings whose value in `next` differs from the one running (names only: a value can be a secret). */
export function settingsNeedingRestart(running: object, next: object): string[] {
  return FIXED_UNTIL_RESTART.filter((name) =>
    [name, ...(VALIDATED_AS[name] ?? [])].some(
      (path) => !isDeepStrictEqual(valueAt(running, path), valueAt(next, path)),
    ),
  );
}

/** `document` with the value at the dotted `path` replaced (absent when `value` is); what it shares is not copied. */
function withValueAt(document: object, [part, ...rest]: readonly string[], value: unknown): object {
  const record = document as Record<string, unknown>;
  const inner = record[part!];
  const replaced =
    rest.length === 0 ? value : withValueAt(typeof inner === 'object' && inner !== null ? inner : {}, rest, value);
  const { [part!]: _dropped, ...others } = record;
  return replaced === undefined ? others : { ...others, [part!]: replaced };
}

/**
 * `next` with the fixed settings' running values: what a process that started on `running` and then reloaded `next`
 * serves. A worker of a group started again after such a reload serves it too, as the others do.
 */
export function withFixedSettingsOf<T extends object>(running: T, next: T): T {
  let merged: object = next;
  for (const name of FIXED_UNTIL_RESTART)
    for (const path of [name, ...(VALIDATED_AS[name] ?? [])])
      merged = withValueAt(merged, path.split('.'), valueAt(running, path));
  return merged as T;
}
