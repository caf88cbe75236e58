import { describe, expect, it } from 'vitest';
import { archiveRequestOf } from '../../src/archiveRequest.js';
import { mediaRequestOf } from '../../src/protocols/flussonicArchive.js';

describe('Flussonic archive requests', () => {
  it.each([
    ['/tv1000/index-1700000000-3600.m3u8', 'dvr_session-hls_mbr_playlist-1700000000-3600'],
    ['/tv1000/mono-1700000000-3600.m3u8?token=x', 'dvr_session-hls_playlist-1700000000-3600'],
    ['/tv1000/archive-1700000000-3600.ts', 'dvr_stream_handler-ts_file-1700000000-3600'],
    ['/tv1000/archive-1700000000-3600.mp4', 'dvr_handler-mp4-1700000000-3600'],
    ['/tv1000/archive/1700000000/3600/mpegts', 'dvr_stream_handler-ts_stream-1700000000-3600'],
    ['/live/tv1000/timeshift_abs-1700000000.ts', 'dvr_handler-timeshift_abs-1700000000'],
    ['/tv1000/timeshift_rel/3600', 'dvr_handler-timeshift_rel-3600'],
    ['/tv1000/timeshift_abs-1700000000.m3u8', 'hls_timeshift_playlist-hls_timeshift_abs-1700000000'],
    ['/tv1000/timeshift_rel-360.m3u8', 'hls_timeshift_playlist-hls_timeshift_rel-360'],
    ['/%D0%BF%D0%B5%D1%80%D0%B2%D1%8B%D0%B9/index-1-2.m3u8', 'dvr_session-hls_mbr_playlist-1-2'],
    ['/bad%E0/index-1-2.m3u8#x', 'dvr_session-hls_mbr_playlist-1-2'],
  ])('%s → %s', (path, mediaRequest) => {
    expect(mediaRequestOf(path)).toBe(mediaRequest);
  });

  it.each([
    undefined,
    '',
    '/tv1000/index.m3u8',
    '/tv1000/mpegts',
    '/index-1-2.m3u8',
    '/vod/movie.mp4/index.m3u8',
    '/tv1000/archive-x-3600.ts',
    '/tv1000/index-1-2.m3u8.bak',
    // A live Flussonic segment: dated, not a DVR form.
    '/tv1000/2023/11/14/22/13/20-06000.ts',
    '/tv1000/index-1-2-3.m3u8',
  ])('%s is live (or VOD), no archive request', (path) => {
    expect(mediaRequestOf(path)).toBeUndefined();
  });

  it.each([
    ['/a001/archive-1700000000-3600.m3u8', 'archive-1700000000-3600.m3u8'],
    ['/a001/index-1700000000-3600.mpd', 'index-1700000000-3600.mpd'],
    ['/a001/archive-1700000000-3600.mpd?token=t', 'archive-1700000000-3600.mpd'],
  ])(
    '%s is an archive request Flussonic names no media_request for here: none is sent, it is not live',
    (path, form) => {
      expect(mediaRequestOf(path)).toBeUndefined();
      expect(archiveRequestOf(path)).toBe(form);
    },
  );
});
