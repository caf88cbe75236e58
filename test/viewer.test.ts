import { describe, expect, it } from 'vitest';
import { channelFromPath, channelPlace, protoFromPath } from '../src/viewer.js';

describe('channelFromPath', () => {
  it.each([
    ['/tv/travel-channel/index.m3u8', 'travel-channel'],
    ['/play/a001', 'a001'],
    ['/play/a001/', 'a001'],
    ['/hls/sport/seg-00012.ts', 'sport'],
    ['/live/ch.1/index.m3u8', 'ch.1'],
    ['/tv/travel-channel/index.m3u8?token=abc', 'travel-channel'],
    ['/tv/%D0%BF%D0%B5%D1%80%D0%B2%D1%8B%D0%B9/index.m3u8', 'первый'],
    ['/tv/broken%zz/index.m3u8', 'broken%zz'],
    // Flussonic archive and timeshift paths name the channel before the archive part.
    ['/tv1000/archive/1700000000/3600/mpegts', 'tv1000'],
    ['/tv1000/timeshift_rel/3600', 'tv1000'],
    ['/tv1000/index-1700000000-3600.m3u8', 'tv1000'],
    ['/tv1000/archive-1700000000-3600.ts', 'tv1000'],
    ['/archive/1700000000', '1700000000'],
    ['/tv1000/archive/1700000000/3600/mpegts/', 'tv1000'],
    ['//play//a001//', 'a001'],
    ['a001', 'a001'],
    ['index.m3u8/a001', 'a001'],
    ['/tv/news/index.m3u8#start', 'news'],
    ['/tv/news?/x/index.m3u8', 'news'],
    // Flussonic's tracks and dated segments (live and archive alike) name the stream before them.
    ['/a001/tracks-v1a1/index.m3u8', 'a001'],
    ['/a001/tracks-v1/mono.m3u8?token=t', 'a001'],
    ['/a001/2026/12/01/10/00/00-05000.ts', 'a001'],
    ['/play/a001/tracks-v1a1/2026/12/01/10/00/00-05000.ts', 'a001'],
    ['/a001/tracks-v1a1/index-1700000000-3600.m3u8', 'a001'],
    ['/a001/archive-1700000000-3600.m3u8', 'a001'],
    ['/a001/index-1700000000-3600.mpd', 'a001'],
    ['/a001/timeshift_abs-1700000000.ts', 'a001'],
    ['/a001/timeshift_rel/3600/', 'a001'],
    ['/a001/mpegts', 'a001'],
    ['/a001/tracks-a1/mpegts', 'a001'],
    // Names that only look like those parts, where they are the last segment, stay the channel.
    ['/tv/tracks-v1a1', 'tracks-v1a1'],
    ['/tv/2026/12/01/10/00/news.ts', '00'],
  ])('%s → %s', (path, channel) => {
    expect(channelFromPath(path)).toBe(channel);
  });

  it.each([undefined, '', '/', '//', '/index.m3u8', 'index.m3u8', '?a001'])('finds no channel in %j', (path) => {
    expect(channelFromPath(path)).toBeUndefined();
  });
});

describe('channelPlace', () => {
  it('is the path through the channel segment channelFromPath finds, whatever follows it', () => {
    for (const path of [
      '/hls/a001/index.m3u8?token=t',
      '/hls/a001/seg-1.ts',
      '/hls/a001/tracks-v1a1/index.m3u8',
      '/hls/a001/2026/12/01/10/00/00-05000.ts',
      '/hls/a001/index-1700000000-3600.m3u8',
      '/hls/a001/',
    ]) {
      expect(channelPlace(path), path).toBe('/hls/a001');
    }
    expect(channelPlace('/live/a001')).toBe('/live/a001');
    expect(channelPlace('/premium/a001')).toBe('/premium/a001');
    expect(channelPlace('/index.m3u8')).toBeUndefined();
    expect(channelPlace(undefined)).toBeUndefined();
  });
});

describe('protoFromPath', () => {
  it.each([
    ['/tv/ch/index.m3u8', 'hls'],
    ['/tv/ch/manifest.mpd', 'dash'],
    ['/tv/ch', 'http'],
    ['/tv/ch/index.m3u8?x=1', 'hls'],
    ['/tv/ch/INDEX.M3U8', 'hls'],
    [undefined, 'http'],
  ])('%s → %s', (path, proto) => {
    expect(protoFromPath(path)).toBe(proto);
  });
});
