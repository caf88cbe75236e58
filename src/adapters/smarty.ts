import type { BackendConfig } from '../config/schema.js';
import { endpointAdapter } from './ask.js';
import type { MiddlewareClient } from './transport.js';
import type { MiddlewareAdapter } from './types.js';
import { flussonicWriter } from '../protocols/flussonic.js';
import { endpointUnder } from './endpoint.js';

type SmartyBackend = Extract<BackendConfig, { type: 'smarty' }>;

const TOKEN_CHECK = '/tvmiddleware/api/streamservice/token/check/';

export function smartyEndpoint(url: string): string {
  return endpointUnder(url, TOKEN_CHECK);
}

/**
 * Microimpuls Smarty's stream token check, Flussonic style. Smarty also
 * writes a JSON or XML body; the status decides unless the operator sets a
 * `body` rule, as for any backend.
 */
export function smartyAdapter(name: string, config: SmartyBackend, client: MiddlewareClient): MiddlewareAdapter {
  return endpointAdapter(name, smartyEndpoint(config.url), flussonicWriter(), config, client);
}
