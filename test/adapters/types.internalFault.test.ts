import { describe, expect, it } from 'vitest';
import { MiddlewareClient } from '../../src/adapters/transport.js';
import type { MiddlewareAdapter } from '../../src/adapters/types.js';
import { validateConfig } from '../../src/config/load.js';
import { createLogging } from '../../src/log.js';
import { createDecider } from '../../src/pipeline/pipeline.js';
import { memoryStore } from '../../src/store/memory.js';
import { adapterFrom, astraViewer, check } from './support.js';

const SECRET = 'viewer-token-s3cret';

/** A client whose own code breaks (as a bug would), quoting a secret in its message. */
class BrokenClient extends MiddlewareClient {
  override sendAndRead(): never {
    throw new TypeError(`cannot read ${SECRET}`);
  }
}

describe('a fault in the bridge while asking a middleware', () => {
  it('is reported as internal, naming the kind of fault but never its message', async () => {
    const adapter = adapterFrom({ type: 'http', url: 'http://127.0.0.1:9/check' }, new BrokenClient());
    const verdict = await check(adapter, astraViewer(SECRET));
    expect(verdict).toEqual({
      outcome: 'error',
      error: 'internal',
      detail: 'the bridge failed while asking the middleware (TypeError)',
    });
  });

  it('from an adapter that breaks its promise never to reject, leaves the route to its default', async () => {
    const config = validateConfig({ backends: { broken: { type: 'http', url: 'http://127.0.0.1:9/check' } } }, 'test');
    const rejecting: MiddlewareAdapter = { name: 'broken', check: () => Promise.reject(new RangeError(SECRET)) };
    const throwing: MiddlewareAdapter = {
      name: 'broken',
      check: () => {
        throw new Error(SECRET);
      },
    };
    const lines: unknown[] = [];
    const { log } = createLogging({ level: 'warn', format: 'json' });
    log.on('data', (line: unknown) => lines.push(line));
    for (const adapter of [rejecting, throwing]) {
      const store = memoryStore({ maxEntries: 10 });
      const decision = await createDecider(config, new Map([['broken', adapter]]), store, log).decide(
        'default',
        astraViewer(SECRET),
      );
      expect(decision).toMatchObject({ allow: false, source: { by: 'default' } });
      await store.close();
    }
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'backend failed',
        error: 'internal',
        detail: 'the bridge failed while asking the middleware (RangeError)',
      }),
      expect.objectContaining({
        message: 'backend failed',
        error: 'internal',
        detail: 'the bridge failed while asking the middleware (Error)',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });
});
