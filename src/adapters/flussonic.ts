import type { BackendConfig } from '../config/schema.js';
import { endpointAdapter } from './ask.js';
import type { MiddlewareClient } from './transport.js';
import type { MiddlewareAdapter } from './types.js';
import { flussonicWriter } from '../protocols/flussonic.js';

type FlussonicBackend = Extract<BackendConfig, { type: 'flussonic' }>;

/** Any Flussonic-compatible auth backend, called at its URL as given. */
export function flussonicAdapter(name: string, config: FlussonicBackend, client: MiddlewareClient): MiddlewareAdapter {
  return endpointAdapter(name, config.url, flussonicWriter(), config, client);
}
