import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type Exchange, type Fixture, loadFixtures } from '../../src/replay/fixtures.js';
import {
  type ReceivedRequest,
  type ReplayOptions,
  type ReplayServer,
  startReplayServer,
} from '../../src/replay/server.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/** The recorded exchanges of `test/fixtures/<folder>` (`http`, `ministra`, `flussonic`, ...). */
export function fixturesOf(folder: string): Fixture[] {
  return loadFixtures(join(FIXTURES, folder));
}

export interface ReplayedMiddlewareOptions extends ReplayOptions<Exchange> {
  /** A fresh middleware per test, so each test sees only its own requests in `received` (default: one per file or describe). */
  readonly perTest?: boolean;
}

export interface ReplayedMiddleware extends ReplayServer {
  /** The next request the middleware receives from now on: the real event to wait for, never a fixed sleep. */
  nextRequest(): Promise<ReceivedRequest>;
}

/**
 * A real middleware on a free loopback port, replaying `exchanges` (a
 * `test/fixtures` folder name, or exchanges written in the test): started
 * before the tests of the file or `describe` it is called in, closed after
 * them. Call it before creating bridges in hooks, so it starts before them and
 * closes after them. A test may `close()` it early (the middleware going down).
 */
export function useReplayedMiddleware(
  exchanges: string | readonly Exchange[],
  { perTest = false, ...replay }: ReplayedMiddlewareOptions = {},
): ReplayedMiddleware {
  let server: ReplayServer | undefined;
  const waiting: ((request: ReceivedRequest) => void)[] = [];
  const onRequest = (request: ReceivedRequest, answeredBy: Exchange | undefined) => {
    for (const resolve of waiting.splice(0)) resolve(request);
    replay.onRequest?.(request, answeredBy);
  };
  const start = async () => {
    const served = typeof exchanges === 'string' ? fixturesOf(exchanges) : exchanges;
    server = await startReplayServer(served, { ...replay, onRequest });
  };
  const stop = async () => {
    await server?.close();
    server = undefined;
  };
  if (perTest) {
    beforeEach(start);
    afterEach(stop);
  } else {
    beforeAll(start);
    afterAll(stop);
  }
  const running = () => {
    if (!server) throw new Error('the replayed middleware is running only during the tests it was set up for');
    return server;
  };
  return {
    get url() {
      return running().url;
    },
    get received() {
      return running().received;
    },
    close: stop,
    nextRequest: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
      }),
  };
}
