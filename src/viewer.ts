/**
 * The viewer's request as the bridge understands it, whichever streaming
 * server dialect it arrived in. Every part is optional: callers differ in what
 * they send, and the decision steps cope with what is there.
 */
export interface ViewerRequest {
  readonly dialect: 'cesbo' | 'flussonic';
  /** Viewer IP in canonical form (IPv4-mapped IPv6 folded to IPv4). */
  readonly ip?: string;
  readonly channel?: string;
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
}

/** Delivery protocol guessed from the requested file, as Flussonic names it. */
export function protoFromPath(path: string | undefined): string {
  const file = path?.split('?')[0]?.toLowerCase() ?? '';
  if (file.endsWith('.m3u8')) return 'hls';
  if (file.endsWith('.mpd')) return 'dash';
  return 'http';
}

const HAS_FILE_EXTENSION = /\.[A-Za-z0-9]{1,8}$/;

/** Flussonic archive paths whose last segments are not the channel: `<channel>/archive/<from>/<duration>/mpegts`, `<channel>/timeshift_rel/<seconds>`. */
const DVR_SUFFIX = /\/(?:archive\/\d+\/\d+\/mpegts|timeshift_rel\/\d+)\/?$/;

/**
 * Channel id from a request path: `/tv/travel-channel/index.m3u8` →
 * `travel-channel`, `/play/a001` → `a001`.
 */
export function channelFromPath(path: string | undefined): string | undefined {
  if (!path) return undefined;
  const segments = path
    .split(/[?#]/)[0]!
    .replace(DVR_SUFFIX, '')
    .split('/')
    .filter((s) => s !== '');
  if (segments.length > 0 && HAS_FILE_EXTENSION.test(segments[segments.length - 1]!)) segments.pop();
  const last = segments.pop();
  if (last === undefined) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
