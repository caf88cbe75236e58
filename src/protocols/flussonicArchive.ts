/**
 * The DVR paths Flussonic serves (Ministra's TV archive hands out
 * `<stream>/index-<from>-<duration>.m3u8`, `<stream>/archive-<from>-<duration>.ts`,
 * `<stream>/archive/<from>/<duration>/mpegts`, ...), with the `media_request`
 * kind Flussonic names them by when it asks an auth backend.
 */
const DVR_REQUESTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/.+\/index-(\d+-\d+)\.m3u8$/, 'dvr_session-hls_mbr_playlist'],
  [/^\/.+\/mono-(\d+-\d+)\.m3u8$/, 'dvr_session-hls_playlist'],
  [/^\/.+\/archive-(\d+-\d+)\.mp4$/, 'dvr_handler-mp4'],
  [/^\/.+\/archive-(\d+-\d+)\.ts$/, 'dvr_stream_handler-ts_file'],
  [/^\/.+\/archive\/(\d+\/\d+)\/mpegts$/, 'dvr_stream_handler-ts_stream'],
  [/^\/.+\/timeshift_abs-(\d+)\.ts$/, 'dvr_handler-timeshift_abs'],
  [/^\/.+\/timeshift_rel\/(\d+)$/, 'dvr_handler-timeshift_rel'],
  [/^\/.+\/timeshift_abs-(\d+)\.m3u8$/, 'hls_timeshift_playlist-hls_timeshift_abs'],
  [/^\/.+\/timeshift_rel-(\d+)\.m3u8$/, 'hls_timeshift_playlist-hls_timeshift_rel'],
];

/**
 * What every DVR form above ends in. Worked out on every check (the cache key
 * keeps live and archive apart), so a live path is told apart by one test.
 */
const ANY_DVR_FORM =
  /(?:(?:index|mono|archive|timeshift_abs|timeshift_rel)-[\d-]+\.\w+|\/\d+\/mpegts|\/timeshift_rel\/\d+)$/;

/**
 * The Flussonic `media_request` of an archive or timeshift path
 * (`/a001/index-1700000000-3600.m3u8` → `dvr_session-hls_mbr_playlist-1700000000-3600`),
 * undefined for live and VOD. The stream is whatever precedes the DVR form,
 * named as for live viewing (see channelFromPath).
 */
export function mediaRequestOf(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const queryAt = path.search(/[?#]/);
  const bare = queryAt === -1 ? path : path.slice(0, queryAt);
  if (!ANY_DVR_FORM.test(bare)) return undefined;
  for (const [form, kind] of DVR_REQUESTS) {
    const match = form.exec(bare);
    if (match) return `${kind}-${match[1]!.replace('/', '-')}`;
  }
  return undefined;
}
