import { createAdapter } from '../../src/adapters/factory.js';
import type { MiddlewareClient } from '../../src/adapters/transport.js';
import type { BackendVerdict, MiddlewareAdapter } from '../../src/adapters/types.js';
import { backendSchema, type BackendType } from '../../src/config/backendSchema.js';
import type { ViewerRequest } from '../../src/viewer.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

/** A simulated middleware replaying its folder under test/fixtures. */
export function replayFixtures(middleware: string): Promise<ReplayServer> {
  return startReplayServer(fixturesOf(middleware));
}

/** A backend document validated the way a config file is, turned into its adapter. */
export function adapterFrom(document: Record<string, unknown>, client: MiddlewareClient): MiddlewareAdapter {
  return createAdapter('under-test', backendSchema.parse(document), client);
}

/** An Astra viewer asking with `token` (none when undefined), optionally on another path. */
export function astraViewer(token: string | undefined, changes: Partial<ViewerRequest> = {}): ViewerRequest {
  return {
    dialect: 'cesbo',
    ip: '203.0.113.7',
    channel: 'a001',
    // Astra sends the channel id it has configured (Alta sends none).
    channelId: 'a001',
    path: '/play/a001/index.m3u8',
    session: '1001',
    userAgent: 'VLC/3.0.18',
    host: 'tv.example.com',
    rawQuery: token === undefined ? '' : `token=${token}`,
    token: token === '' ? undefined : token,
    ...changes,
  };
}

export function check(adapter: MiddlewareAdapter, viewer: ViewerRequest): Promise<BackendVerdict> {
  return adapter.check(viewer, { deadline: Infinity });
}

/**
 * Every backend `type` the config accepts, read from the schema: the suites that run every middleware
 * compare their tables with it, so a new middleware without a row fails them instead of going untested.
 */
export const BACKEND_TYPES: readonly BackendType[] = backendSchema.options.map((option) => option.shape.type.value);

/** A backend document of a known type: a row naming a type the config does not accept fails typecheck. */
export interface BackendDocument {
  readonly type: BackendType;
  readonly [setting: string]: unknown;
}
