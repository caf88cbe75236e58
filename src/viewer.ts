import { pathRequestOf } from './archiveRequest.js';

/** Every wire protocol the bridge speaks, as the decision log's `dialect` names it. */
export type ProtocolName = 'cesbo' | 'nginx-auth-request' | 'flussonic' | 'mediamtx' | 'srs' | 'nginx-rtmp';

/** A query string's parameters, decoded, a repeated name keeping every value (src/protocols/query.ts parses it). */
export type Query = ReadonlyMap<string, readonly string[]>;

/**
 * The viewer's request as the bridge understands it, whichever caller
 * protocol it arrived in. Every part is optional: callers differ in what
 * they send, and the decision steps cope with what is there.
 */
export interface ViewerRequest {
  /** The caller protocol it arrived in (the decision log's `dialect`). */
  readonly dialect: ProtocolName;
  /** The streaming server's socket address: with `session`, it names one viewing session. */
  readonly caller?: string;
  /** Viewer IP in canonical form (IPv4-mapped IPv6 folded to IPv4). */
  readonly ip?: string;
  /** The channel as the bridge decides on it: the caller's channel id, else taken from the path. */
  readonly channel?: string;
  /** The channel id exactly as the caller sent it (Astra's X-Channel-ID, Flussonic's name); never derived. */
  readonly channelId?: string;
  /** Path the viewer asked for, e.g. `/tv/travel-channel/index.m3u8`. */
  readonly path?: string;
  readonly session?: string;
  readonly userAgent?: string;
  readonly host?: string;
  readonly origin?: string;
  readonly referer?: string;
  /** Delivery protocol (`hls`, `dash`, `http`, ...). */
  readonly proto?: string;
  readonly requestType?: string;
  readonly requestNumber?: string;
  /** The viewer's own query string, undecoded, without the leading `?`. */
  readonly rawQuery: string;
  readonly token?: string;
  readonly credentials?: { readonly login: string; readonly password: string };
  /** The viewer's `auth=` value as given, also when it is not `login:password` (a middleware may read it anyway). */
  readonly auth?: string;
  /**
   * A Flussonic caller's own parameters: the ones the bridge does not set itself pass on to Flussonic-style backends.
   */
  readonly callerParams?: Query;
  /** The caller asks to publish (or to use its API), not to watch: the route's `publish` setting decides. */
  readonly publishing?: true;
  /** A notification that decides nothing (SRS on_stop, nginx-rtmp play_done, ...): acknowledged, nobody asked. */
  readonly notice?: { readonly event: string; readonly endsSession: boolean };
}

/** Delivery protocol guessed from the requested file, as Flussonic names it. */
export function protoFromPath(path: string | undefined): string {
  const file = path?.split('?')[0]?.toLowerCase() ?? '';
  if (file.endsWith('.m3u8')) return 'hls';
  if (file.endsWith('.mpd')) return 'dash';
  return 'http';
}

const HAS_FILE_EXTENSION = /\.[A-Za-z0-9]{1,8}$/;

/**
 * What is asked for within a channel: a file, or Flussonic's MPEG-TS stream (`<stream>/mpegts`), which has no
 * extension.
 */
function isFile(segment: string): boolean {
  return HAS_FILE_EXTENSION.test(segment) || segment === 'mpegts';
}

/**
 * A Flussonic segment, live or from the archive alike: `<stream>/2026/12/01/10/00/00-05000.ts` (date, then
 * start-duration).
 */
const DATED_SEGMENT = /\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/\d{2}-\d+\.[A-Za-z0-9]{1,8}$/;

/** Flussonic's choice of tracks within a stream (`<stream>/tracks-v1a1/index.m3u8`): not the channel. */
const TRACKS = /^tracks-[A-Za-z0-9]+$/;

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Where the last non-empty `/`-separated segment ending at or before `end` starts, or -1 when there is none. */
function segmentStart(path: string, end: number): number {
  return end === 0 ? -1 : path.lastIndexOf('/', end - 1) + 1;
}

/** `end` moved back over trailing slashes. */
function trimSlashes(path: string, end: number): number {
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  return end;
}

/** Where a path's channel segment is: `bare.slice(start, end)`, in the path without its query. */
interface ChannelSpan {
  readonly bare: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Finds the channel's segment: the last one, or the one before a file, a track choice, a dated
 * segment or an archive form. Worked out on every check, so it walks back from the end instead of
 * splitting the whole path.
 */
function channelSpan(path: string): ChannelSpan | undefined {
  const { bare: whole, dvr } = pathRequestOf(path);
  const bare = dvr === undefined ? whole : dvr.stream;
  let end = trimSlashes(bare, bare.length);
  let start = segmentStart(bare, end);
  // Tracks are chosen within a stream: only before a file or an archive form.
  let withinStream = dvr !== undefined;
  if (start !== -1 && isFile(bare.slice(start, end))) {
    // Only a segment that starts with a digit can be dated: most paths skip the pattern.
    const dated = isDigit(bare.charCodeAt(start)) ? DATED_SEGMENT.exec(bare.slice(0, end)) : null;
    end = trimSlashes(bare, dated === null ? start : dated.index);
    start = segmentStart(bare, end);
    withinStream = true;
  }
  if (withinStream && start !== -1 && TRACKS.test(bare.slice(start, end))) {
    end = trimSlashes(bare, start);
    start = segmentStart(bare, end);
  }
  return start === -1 ? undefined : { bare, start, end };
}

/** What a path says of its channel: read from the span, once per path (see `channelOf`). */
interface PathChannel {
  readonly channel: string | undefined;
  readonly place: string | undefined;
}

function readChannel(path: string): PathChannel {
  const span = channelSpan(path);
  if (span === undefined) return { channel: undefined, place: undefined };
  const { bare, start, end } = span;
  const last = bare.slice(start, end);
  return { channel: decodedSegment(last), place: bare.slice(0, end) };
}

function decodedSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The last path's channel: a check reads it twice, for its channel (the caller's reader) and for
 * the channel's place in the cache key, and the second read is then no walk and no garbage.
 */
let lastPath: string | undefined;
let lastChannel: PathChannel | undefined;

function channelOf(path: string): PathChannel {
  if (path !== lastPath || lastChannel === undefined) {
    lastChannel = readChannel(path);
    lastPath = path;
  }
  return lastChannel;
}

/**
 * The path up to and through its channel's segment, as sent: `/live/a001` for
 * `/live/a001/index.m3u8`, its segments, tracks and archive requests alike,
 * `/premium/a001` for another RTMP application's stream of the same name.
 */
export function channelPlace(path: string | undefined): string | undefined {
  return path ? channelOf(path).place : undefined;
}

/**
 * Channel id from a request path: `/tv/travel-channel/index.m3u8` →
 * `travel-channel`, `/play/a001` → `a001`; for Flussonic's paths the stream,
 * as src/archiveRequest.ts reads archive requests
 * (`/a001/index-1700000000-3600.m3u8`, `/a001/tracks-v1a1/index.m3u8` and
 * `/a001/2026/12/01/10/00/00-05000.ts` are all `a001`).
 */
export function channelFromPath(path: string | undefined): string | undefined {
  return path ? channelOf(path).channel : undefined;
}
