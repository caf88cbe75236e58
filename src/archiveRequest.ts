/**
 * Live, or which archive request a viewer's path makes. The channel (src/viewer.ts), the cache key
 * and the `media_request` put on the wire (src/protocols/flussonicArchive.ts) all read it, so it
 * sits beside the viewer's request rather than in one of them.
 */

/**
 * The DVR paths Flussonic serves (Ministra's TV archive hands out
 * `<stream>/index-<from>-<duration>.m3u8`, `<stream>/archive-<from>-<duration>.ts`,
 * `<stream>/archive/<from>/<duration>/mpegts`, ...), with the `media_request`
 * kind Flussonic names them by when it asks an auth backend. Group 1 is the
 * stream, group 2 what the kind is followed by. A form whose kind is not known
 * here (`archive-<from>-<duration>.m3u8`, the DASH `.mpd` ones) is an archive
 * request all the same: without a kind nothing is sent for it, but it is
 * never taken for live viewing.
 */
const DVR_REQUESTS: ReadonlyArray<readonly [RegExp, string | undefined]> = [
  [/^(\/.+)\/index-(\d+-\d+)\.m3u8$/, 'dvr_session-hls_mbr_playlist'],
  [/^(\/.+)\/mono-(\d+-\d+)\.m3u8$/, 'dvr_session-hls_playlist'],
  [/^(\/.+)\/archive-(\d+-\d+)\.mp4$/, 'dvr_handler-mp4'],
  [/^(\/.+)\/archive-(\d+-\d+)\.ts$/, 'dvr_stream_handler-ts_file'],
  [/^(\/.+)\/archive\/(\d+\/\d+)\/mpegts$/, 'dvr_stream_handler-ts_stream'],
  [/^(\/.+)\/timeshift_abs-(\d+)\.ts$/, 'dvr_handler-timeshift_abs'],
  [/^(\/.+)\/timeshift_rel\/(\d+)$/, 'dvr_handler-timeshift_rel'],
  [/^(\/.+)\/timeshift_abs-(\d+)\.m3u8$/, 'hls_timeshift_playlist-hls_timeshift_abs'],
  [/^(\/.+)\/timeshift_rel-(\d+)\.m3u8$/, 'hls_timeshift_playlist-hls_timeshift_rel'],
  [/^(\/.+)\/(?:archive|index)-(\d+-\d+)\.(?:m3u8|mpd)$/, undefined],
];

/**
 * What every DVR form above ends in. Worked out on every check (the cache key
 * keeps live and archive apart, the channel is what precedes the form), so a
 * live path is told apart by one test.
 */
const ANY_DVR_FORM =
  /(?:(?:index|mono|archive|timeshift_abs|timeshift_rel)-[\d-]+\.\w+|\/\d+\/mpegts|\/timeshift_rel\/\d+)$/;

/** An archive or timeshift request: the path of its stream, and how Flussonic names it. */
export interface DvrRequest {
  /** The path before the DVR form (`/play/a001` of `/play/a001/index-1-2.m3u8`): the stream as for live viewing. */
  readonly stream: string;
  /** What tells this archive request from another: the form as the path gives it. */
  readonly form: string;
  /** Flussonic's `media_request` (`dvr_session-hls_mbr_playlist-1700000000-3600`), for the forms it is known for. */
  readonly mediaRequest?: string;
}

/** The path without its query, fragment or trailing slashes (`/a001/timeshift_rel/3600/` is that request still). */
export function barePath(path: string): string {
  const queryAt = path.search(/[?#]/);
  let end = queryAt === -1 ? path.length : queryAt;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  return end === path.length ? path : path.slice(0, end);
}

/**
 * The archive request a bare path (no query) makes, undefined for live and
 * VOD. The one place that decides it: the channel (channelFromPath), the cache
 * key's `archive` part and the `media_request` sent (src/protocols/flussonicArchive.ts) all read it.
 */
export function dvrRequestOf(bare: string): DvrRequest | undefined {
  if (!ANY_DVR_FORM.test(bare)) return undefined;
  for (const [form, kind] of DVR_REQUESTS) {
    const match = form.exec(bare);
    if (match === null) continue;
    const stream = match[1]!;
    const dvrForm = bare.slice(stream.length + 1);
    return kind === undefined
      ? { stream, form: dvrForm }
      : { stream, form: dvrForm, mediaRequest: `${kind}-${match[2]!.replace('/', '-')}` };
  }
  return undefined;
}

/** A viewer's path without its query (`barePath`), and the archive request it makes (`dvrRequestOf`). */
export interface PathRequest {
  readonly bare: string;
  readonly dvr: DvrRequest | undefined;
}

/**
 * The last path read: a check reads its path's archive form for its channel (src/viewer.ts), then
 * for the cache key's `archive` part, and the second read is then no search and no test.
 */
let lastPath: string | undefined;
let lastRequest: PathRequest | undefined;

/** What a viewer's path asks for: `barePath` and `dvrRequestOf` of it, worked out once for a path read twice. */
export function pathRequestOf(path: string): PathRequest {
  if (path !== lastPath || lastRequest === undefined) {
    const bare = barePath(path);
    lastRequest = { bare, dvr: dvrRequestOf(bare) };
    lastPath = path;
  }
  return lastRequest;
}

/** Live (undefined), or which archive request a path is: the cache key's `archive` part. */
export function archiveRequestOf(path: string | undefined): string | undefined {
  return path === undefined ? undefined : pathRequestOf(path).dvr?.form;
}
