import type { BackendConfig } from '../config/schema.js';
import type { ViewerRequest } from '../viewer.js';
import { endpointAdapter } from './ask.js';
import type { MiddlewareClient, OutboundRequest } from './transport.js';
import type { BackendVerdict, MiddlewareAdapter } from './types.js';
import { flussonicWriter, type FlussonicWriter } from '../protocols/flussonic.js';
import { mediaRequestOf } from '../protocols/flussonicArchive.js';
import { endpointUnder } from './endpoint.js';

type MinistraBackend = Extract<BackendConfig, { type: 'ministra' }>;

/** The portal's "Temporary URL – Flussonic support" check. */
const TMP_LINK_CHECK = '/server/api/chk_flussonic_tmp_link.php';

/** The portal base (`http://mw/stalker_portal`), or a full `.php` URL taken as given. */
export function ministraEndpoint(url: string): string {
  return /\.php$/i.test(new URL(url).pathname) ? url : endpointUnder(url, TMP_LINK_CHECK);
}

/**
 * Flussonic style, as Flussonic itself asks for archive playback: the
 * `media_request` the DVR path describes, and the stream named as for live
 * viewing, so the portal sees one stream whether the viewer watches it live
 * or from the archive.
 */
function ministraWriter(flussonic: FlussonicWriter) {
  return (base: URL, viewer: ViewerRequest): OutboundRequest => {
    const mediaRequest = mediaRequestOf(viewer.path);
    return mediaRequest === undefined
      ? flussonic(base, viewer)
      : flussonic(base, viewer, { media_request: mediaRequest });
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
