import type { BackendConfig } from '../config/schema.js';
import { endpointAdapter } from './ask.js';
import type { MiddlewareClient } from './transport.js';
import type { MiddlewareAdapter } from './types.js';
import { askCesbo } from '../protocols/cesbo.js';

type HttpBackend = Extract<BackendConfig, { type: 'http' }>;

/** An operator's own check that speaks the Cesbo "HTTP Request" protocol, called at its URL as given. */
export function httpAdapter(name: string, config: HttpBackend, client: MiddlewareClient): MiddlewareAdapter {
  return endpointAdapter(name, config.url, askCesbo, config, client);
}
