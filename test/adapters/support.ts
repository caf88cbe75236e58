import { join } from 'node:path';
import { createAdapter } from '../../src/adapters/factory.js';
import type { MiddlewareClient } from '../../src/adapters/transport.js';
import type { BackendVerdict, MiddlewareAdapter } from '../../src/adapters/types.js';
import { backendSchema } from '../../src/config/backendSchema.js';
import type { ViewerRequest } from '../../src/viewer.js';
import { loadFixtures, startReplayServer, type ReplayServer } from '../support/replayServer.js';

/** A simulated middleware replaying its folder under test/fixtures. */
export function replayFixtures(middleware: string): Promise<ReplayServer> {
  return startReplayServer(loadFixtures(join(import.meta.dirname, '..', 'fixtures', middleware)));
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
