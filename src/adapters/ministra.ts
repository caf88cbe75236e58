import type { BackendConfig } from '../config/schema.js';
import type { ViewerRequest } from '../viewer.js';
import { endpointAdapter } from './ask.js';
import type { MiddlewareClient, OutboundRequest } from './transport.js';
import type { BackendVerdict, MiddlewareAdapter } from './types.js';
import { flussonicWriter, type FlussonicWriter } from '../protocols/flussonic.js';
import { endpointUnder } from './endpoint.js';

type MinistraBackend = Extract<BackendConfig, { type: 'ministra' }>;

/** The portal's "Temporary URL – Flussonic support" check. */
const TMP_LINK_CHECK = '/server/api/chk_flussonic_tmp_link.php';

/** The portal base (`http://mw/stalker_portal`), or a full `.php` URL taken as given. */
export function ministraEndpoint(url: string): string {
  return /\.php$/i.test(new URL(url).pathname) ? url : endpointUnder(url, TMP_LINK_CHECK);
}

/**
 * The DVR paths Flussonic serves (Ministra's TV archive hands out
 * `<stream>/index-<from>-<duration>.m3u8`, `<stream>/archive-<from>-<duration>.ts`
 * and `<stream>/archive/<from>/<duration>/mpegts`), with the `media_request`
 * kind Flussonic names them by when it asks an auth backend.
 */
const DVR_REQUESTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/(.+)\/index-(\d+-\d+)\.m3u8$/, 'dvr_session-hls_mbr_playlist'],
  [/^\/(.+)\/mono-(\d+-\d+)\.m3u8$/, 'dvr_session-hls_playlist'],
  [/^\/(.+)\/archive-(\d+-\d+)\.mp4$/, 'dvr_handler-mp4'],
  [/^\/(.+)\/archive-(\d+-\d+)\.ts$/, 'dvr_stream_handler-ts_file'],
  [/^\/(.+)\/archive\/(\d+\/\d+)\/mpegts$/, 'dvr_stream_handler-ts_stream'],
  [/^\/(.+)\/timeshift_abs-(\d+)\.ts$/, 'dvr_handler-timeshift_abs'],
  [/^\/(.+)\/timeshift_rel\/(\d+)$/, 'dvr_handler-timeshift_rel'],
  [/^\/(.+)\/timeshift_abs-(\d+)\.m3u8$/, 'hls_timeshift_playlist-hls_timeshift_abs'],
  [/^\/(.+)\/timeshift_rel-(\d+)\.m3u8$/, 'hls_timeshift_playlist-hls_timeshift_rel'],
];

export interface ArchiveRequest {
  readonly stream: string;
  readonly mediaRequest: string;
}

/** The stream and Flussonic `media_request` of an archive or timeshift path; undefined for live and VOD. */
export function archiveRequest(path: string | undefined): ArchiveRequest | undefined {
  const bare = path?.split(/[?#]/)[0] ?? '';
  for (const [form, kind] of DVR_REQUESTS) {
    const match = form.exec(bare);
    if (!match) continue;
    const [, stream = '', range = ''] = match;
    let name = stream;
    try {
      name = decodeURIComponent(stream);
    } catch {
      // A broken escape is still the name the viewer asked for.
    }
    return { stream: name, mediaRequest: `${kind}-${range.replace('/', '-')}` };
  }
  return undefined;
}

/**
 * Flussonic style, as Flussonic itself asks for archive playback: the stream
 * named from the DVR path (not its last segment, `mpegts` or a number of
 * seconds) and the `media_request` it describes.
 */
function ministraWriter(flussonic: FlussonicWriter) {
  return (base: URL, viewer: ViewerRequest): OutboundRequest => {
    const archive = archiveRequest(viewer.path);
    if (!archive) return flussonic(base, viewer);
    return flussonic(base, { ...viewer, channel: archive.stream }, { media_request: archive.mediaRequest });
  };
}

/**
 * The portal only looks the token up in its cache and answers 403 for none;
 * asking would spend a request on a certain refusal.
 */
const NO_TOKEN: BackendVerdict = { outcome: 'deny', info: {}, notes: [], unasked: true };

/**
 * Ministra/Stalker with "Temporary URL – Flussonic support". The portal fills
 * `X-Max-Sessions` from an unrelated PVR setting, so a configured
 * `maxSessions` takes its place.
 */
export function ministraAdapter(name: string, config: MinistraBackend, client: MiddlewareClient): MiddlewareAdapter {
  const portal = endpointAdapter(name, ministraEndpoint(config.url), ministraWriter(flussonicWriter()), config, client);
  const { maxSessions } = config;
  return {
    name,
    check(viewer, limits) {
      if (viewer.token === undefined || viewer.token === '') return Promise.resolve(NO_TOKEN);
      const asked = portal.check(viewer, limits);
      if (maxSessions === undefined) return asked;
      return asked.then((verdict) =>
        verdict.outcome === 'error' ? verdict : { ...verdict, info: { ...verdict.info, maxSessions } },
      );
    },
  };
}
