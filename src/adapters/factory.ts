import type { BackendConfig } from '../config/schema.js';
import { flussonicAdapter } from './flussonic.js';
import { httpAdapter } from './http.js';
import { iptvportalAdapter } from './iptvportal.js';
import { ministraAdapter } from './ministra.js';
import { smartyAdapter } from './smarty.js';
import type { MiddlewareClient } from './transport.js';
import type { MiddlewareAdapter } from './types.js';

/** The adapter for a configured backend, chosen by its `type`. */
export function createAdapter(name: string, config: BackendConfig, client: MiddlewareClient): MiddlewareAdapter {
  switch (config.type) {
    case 'http':
      return httpAdapter(name, config, client);
    case 'flussonic':
      return flussonicAdapter(name, config, client);
    case 'ministra':
      return ministraAdapter(name, config, client);
    case 'iptvportal':
      return iptvportalAdapter(name, config, client);
    case 'smarty':
      return smartyAdapter(name, config, client);
  }
}
