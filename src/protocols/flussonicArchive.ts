import { pathRequestOf } from '../archiveRequest.js';

/**
 * The Flussonic `media_request` of an archive or timeshift path
 * (`/a001/index-1700000000-3600.m3u8` → `dvr_session-hls_mbr_playlist-1700000000-3600`),
 * undefined for live, VOD and the archive forms without a known kind.
 */
export function mediaRequestOf(path: string | undefined): string | undefined {
  return path === undefined ? undefined : pathRequestOf(path).dvr?.mediaRequest;
}
