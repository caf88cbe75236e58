import type { BackendConfig } from '../config/schema.js';
import { askMiddleware } from './ask.js';
import type { MiddlewareClient } from './transport.js';
import type { MiddlewareAdapter } from './types.js';
import { flussonicStyle } from './wire.js';

type FlussonicBackend = Extract<BackendConfig, { type: 'flussonic' }>;

/** Any Flussonic-compatible auth backend, called at its URL as given. */
export function flussonicAdapter(name: string, config: FlussonicBackend, client: MiddlewareClient): MiddlewareAdapter {
  const base = new URL(config.url);
  return {
    name,
    check: (viewer, signal) => askMiddleware(client, flussonicStyle(base, viewer), config, signal),
  };
}
