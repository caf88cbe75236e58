import type { BackendConfig } from '../config/schema.js';
import { endpointAdapter } from './ask.js';
import type { MiddlewareClient } from './transport.js';
import type { MiddlewareAdapter } from './types.js';
import { askCesbo } from '../protocols/cesbo.js';
import { flussonicWriter } from '../protocols/flussonic.js';
import type { RequestWriter } from '../protocols/types.js';
import { endpointUnder } from './endpoint.js';

type IptvportalBackend = Extract<BackendConfig, { type: 'iptvportal' }>;

/** Each portal check, and how a check is written for it (a Flussonic writer counts sessions, so one per backend). */
const ENDPOINTS: Record<
  IptvportalBackend['protocol'],
  { readonly path: string; readonly writer: () => RequestWriter }
> = {
  cesbo: { path: '/auth/arescrypt/', writer: () => askCesbo },
  flussonic: { path: '/auth/flussonic/arescrypt/', writer: flussonicWriter },
};

const KNOWN_PATHS = Object.values(ENDPOINTS).map((endpoint) => endpoint.path);

/** The check the configured `protocol` calls under the portal's base URL. */
export function iptvportalEndpoint(config: Pick<IptvportalBackend, 'url' | 'protocol'>): string {
  return endpointUnder(config.url, ENDPOINTS[config.protocol].path, KNOWN_PATHS);
}

/**
 * IPTVportal's arescrypt check. The cipher and its rotating keys are the
 * portal's secret, so the bridge decides nothing itself: it forwards the
 * viewer's query untouched (Cesbo style) or Flussonic's parameters, and the
 * portal answers.
 */
export function iptvportalAdapter(
  name: string,
  config: IptvportalBackend,
  client: MiddlewareClient,
): MiddlewareAdapter {
  return endpointAdapter(name, iptvportalEndpoint(config), ENDPOINTS[config.protocol].writer(), config, client);
}
