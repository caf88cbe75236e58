import { hash } from 'node:crypto';
import type { BackendConfig, CacheKeyPart } from '../config/schema.js';
import { archiveRequestOf } from '../archiveRequest.js';
import { flatText } from '../store/flatText.js';
import { channelPlace, type Query, type ViewerRequest } from '../viewer.js';

/**
 * The viewer's query with its parameters in a canonical order: sorted by name, a repeated name
 * keeping its values' order (a middleware may read the first or the last), empty pieces left out.
 * Parameters stay as sent, undecoded: a middleware reading the raw query sees `%41` and `A` apart.
 */
export function canonicalQuery(rawQuery: string): string {
  // One parameter (nearly every viewer: `token=...`) is already canonical; so is a query in order.
  if (!rawQuery.includes('&')) return rawQuery;
  const pieces = rawQuery.split('&');
  if (inCanonicalOrder(pieces)) return rawQuery;
  // Array.prototype.sort is stable, so repeated names keep their order.
  return pieces
    .filter((piece) => piece !== '')
    .map((piece) => ({ piece, name: nameOf(piece) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ piece }) => piece)
    .join('&');
}

function nameOf(piece: string): string {
  const equals = piece.indexOf('=');
  return equals === -1 ? piece : piece.slice(0, equals);
}

/** No empty piece, and names never decreasing: the query as sent is its canonical form. */
function inCanonicalOrder(pieces: readonly string[]): boolean {
  let previous = '';
  for (const piece of pieces) {
    if (piece === '') return false;
    const name = nameOf(piece);
    if (name < previous) return false;
    previous = name;
  }
  return true;
}

/**
 * A Flussonic caller's parameters that change from one request of a session to the next
 * (Flussonic's own counters): in the key, they would make every check a miss.
 */
const PER_REQUEST_PARAMS: ReadonlySet<string> = new Set([
  'request_type',
  'request_number',
  'stream_clients',
  'total_clients',
  'duration',
  'bytes',
]);

/** A Flussonic caller's parameters but its counters, names sorted, each name's values in order. */
function paramsOf(params: Query | undefined): string | undefined {
  if (params === undefined) return undefined;
  const kept = [...params].filter(([name]) => !PER_REQUEST_PARAMS.has(name));
  return JSON.stringify(kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const PART_VALUE: Record<CacheKeyPart, (viewer: ViewerRequest) => string | undefined> = {
  token: (v) => v.token,
  // As given: a middleware reads `auth=` whether or not it is login:password.
  credentials: (v) => v.auth,
  ip: (v) => v.ip,
  // A channel id the caller sent reaches Cesbo-style backends (X-Channel-ID); one taken from the path does not.
  // Either is keyed with the folders that lead to it: /live/a001 and /premium/a001 are two RTMP applications.
  channel: (v) => {
    const named = v.channelId !== undefined ? `i${v.channelId}` : v.channel === undefined ? undefined : `p${v.channel}`;
    if (named === undefined) return undefined;
    const place = channelPlace(v.path);
    return place === undefined ? named : `${named.length}:${named}${place}`;
  },
  path: (v) => v.path,
  // Live, or which archive request (a Flussonic-style backend gets its media_request).
  archive: (v) => archiveRequestOf(v.path),
  session: (v) => v.session,
  userAgent: (v) => v.userAgent,
  host: (v) => v.host,
  origin: (v) => v.origin,
  referer: (v) => v.referer,
  // As the caller named it: the one guessed from the path (hls for a playlist, http for its segments) is the path's.
  proto: (v) => v.proto,
  query: (v) => canonicalQuery(v.rawQuery),
  params: (v) => paramsOf(v.callerParams),
};

/** Backends sent the viewer's query and details as Astra sends them (`http`, Cesbo-style `iptvportal`). */
function cesboStyle(backend: BackendConfig): boolean {
  return backend.type === 'http' || (backend.type === 'iptvportal' && backend.protocol === 'cesbo');
}

/** What a Cesbo-style backend receives: the viewer's query, and the X-Real-* and X-Session-ID headers. */
const CESBO_STYLE_KEY: readonly CacheKeyPart[] = [
  'query',
  'ip',
  'channel',
  'archive',
  'session',
  'userAgent',
  'host',
  'origin',
];

/**
 * What a Flussonic-style backend receives: what a Cesbo-style one does (`qs` is the query, `host` else the origin's),
 * and more.
 */
const FLUSSONIC_STYLE_KEY: readonly CacheKeyPart[] = [
  'token',
  'credentials',
  ...CESBO_STYLE_KEY,
  'referer',
  'proto',
  'params',
];

/**
 * The parts a route's decisions are keyed by when the operator set no `cache.key`: everything its
 * backends receive and could decide on, but the path within a channel (it changes with every HLS
 * segment: keyed, nginx auth_request would ask the middleware for each) and a Flussonic caller's
 * per-request counters. Live and archive viewing of a channel are keyed apart. A route with both
 * kinds of backend keys by both.
 */
export function defaultKeyParts(backends: readonly BackendConfig[]): readonly CacheKeyPart[] {
  const parts = new Set<CacheKeyPart>();
  for (const backend of backends) {
    for (const part of cesboStyle(backend) ? CESBO_STYLE_KEY : FLUSSONIC_STYLE_KEY) parts.add(part);
  }
  return parts.size === 0 ? FLUSSONIC_STYLE_KEY : [...parts];
}

/** A byte UTF-8 never contains: marks text hashed as UTF-16 apart from text hashed as UTF-8. */
const NOT_UTF8 = Buffer.from([0xff]);

/**
 * A short one-way digest: store keys must never hold a token or password in
 * clear. Text with a lone surrogate is hashed as UTF-16: as UTF-8 every lone
 * surrogate would become U+FFFD, and different texts would share a digest.
 */
export function digest(text: string): string {
  const input = text.isWellFormed() ? text : Buffer.concat([NOT_UTF8, Buffer.from(text, 'utf16le')]);
  return hash('sha256', input, 'base64url').slice(0, 22);
}

/** A missing part, or the part's length and value: no value can pass itself off as another part. */
const encodePart = (value: string | undefined) => (value === undefined ? '-' : `${value.length}:${value}`);

/**
 * Viewers whose keys are remembered. The store holds digests only, so a key never shows a token in
 * clear, wherever the store keeps it; a hit need not hash again, though: the key of each of the
 * most recent viewers is remembered from its clear parts, in this process alone and bounded, as
 * the log's token fingerprints are (a sha256 was half of a memory-store hit's own work).
 */
export const REMEMBERED_KEYS = 10_000;

/**
 * Longest encoded parts remembered. A viewer chooses the query and the user agent: 10,000 keys of
 * 8 KiB queries would hold 80 MiB for one route. Longer parts are hashed on every check.
 */
const LONGEST_REMEMBERED = 1024;

/** One of the viewer's values a remembered key is found by. */
type Value = (viewer: ViewerRequest) => string | undefined;

/**
 * The values a part's encoded form is made from, read as they are: a remembered key is found by them
 * without the part's text made. Each part's values must fix its `PART_VALUE` (more may be read than
 * it uses: two ways to one key are two ways to the same remembered key). Parts not named here are
 * their value.
 */
const PART_VALUES: Partial<Record<CacheKeyPart, readonly Value[]>> = {
  channel: [(v) => v.channelId, (v) => v.channel, (v) => channelPlace(v.path)],
  // The query as sent: its canonical form is made from it.
  query: [(v) => v.rawQuery],
};

/** After a value: the next value's branches, or (after the last) the key. */
type Branch = Level | string;

/**
 * The remembered keys' branches at one value: the first value seen kept beside its branch, the
 * others in a map, made once a second value is seen. Most viewers differ from the first value on
 * (their query, their token): below it each has a chain of single branches, each passed with one
 * comparison, where a map would hash every value of every check.
 */
class Level {
  #value: string | undefined;
  #branch: Branch | undefined;
  #more: Map<string | undefined, Branch> | undefined;

  get(value: string | undefined): Branch | undefined {
    if (this.#branch !== undefined && this.#value === value) return this.#branch;
    return this.#more?.get(value);
  }

  set(value: string | undefined, branch: Branch): void {
    if (this.#branch === undefined) {
      this.#value = value;
      this.#branch = branch;
    } else {
      this.#more ??= new Map();
      this.#more.set(value, branch);
    }
  }
}

/**
 * One route's keys, those of the latest viewers remembered by their values: `make` makes a key from
 * the encoded parts when they are not (a new viewer, or one past the bound).
 */
function rememberedKeys(
  values: readonly Value[],
  encodedOf: (viewer: ViewerRequest) => string,
  make: (viewer: ViewerRequest, encoded: string) => string,
): (viewer: ViewerRequest) => string {
  let root = new Level();
  let remembered = 0;
  const last = values.length - 1;

  /** A key made anew, remembered from `known` on, where the viewer's values from `from` on were not found. */
  const missed = (known: Level, from: number, viewer: ViewerRequest): string => {
    const encoded = encodedOf(viewer);
    const key = make(viewer, encoded);
    if (encoded.length > LONGEST_REMEMBERED) return key;
    let level = known;
    let at = from;
    if (remembered >= REMEMBERED_KEYS) {
      root = new Level();
      remembered = 0;
      level = root;
      at = 0;
    }
    remembered++;
    for (; at < last; at++) {
      const next = new Level();
      level.set(values[at]!(viewer), next);
      level = next;
    }
    level.set(values[last]!(viewer), key);
    return key;
  };

  return (viewer) => {
    let level = root;
    for (let at = 0; at < last; at++) {
      const next = level.get(values[at]!(viewer));
      if (next === undefined) return missed(level, at, viewer);
      level = next as Level;
    }
    return (level.get(values[last]!(viewer)) as string | undefined) ?? missed(level, last, viewer);
  };
}

/** The cache key of a viewer check on a route: a digest of the configured parts. */
export function decisionKeyOf(parts: readonly CacheKeyPart[]): (route: string, viewer: ViewerRequest) => string {
  const readers = parts.map((part) => PART_VALUE[part]);
  const encodedOf = (viewer: ViewerRequest) => {
    let encoded = '';
    for (const read of readers) encoded += encodePart(read(viewer));
    return encoded;
  };
  // Viewing and publishing apart (a publish never shares an answer with viewing): the first value.
  const values: Value[] = [(v) => (v.publishing ? 'publish' : undefined)];
  for (const part of parts) values.push(...(PART_VALUES[part] ?? [PART_VALUE[part]]));
  const routeKeys = (route: string) => {
    const viewing = decisionKeyPrefix(route);
    const publishing = `${viewing}publish:`;
    // Flat, so that the store keeps this very string (its flatText returns it), not a copy beside the memo's.
    const make = (viewer: ViewerRequest, encoded: string) =>
      flatText(`${viewer.publishing ? publishing : viewing}${digest(encoded)}`);
    return rememberedKeys(values, encodedOf, make);
  };
  const routes = new Map<string, (viewer: ViewerRequest) => string>();
  return (route, viewer) => {
    let keys = routes.get(route);
    if (keys === undefined) {
      keys = routeKeys(route);
      routes.set(route, keys);
    }
    return keys(viewer);
  };
}

/** Every cached decision's key starts so, every token binding's so. */
export const DECISION_KEYS = 'd:';
export const BINDING_KEYS = 'b:';

/** Every cached decision of `route` is stored under this prefix (route names are plain: letters, digits, `_`, `-`). */
export function decisionKeyPrefix(route: string): string {
  return `${DECISION_KEYS}${route}:`;
}

/** Where a token's IP binding is kept. */
export function bindingKey(token: string): string {
  return `${BINDING_KEYS}${digest(token)}`;
}
