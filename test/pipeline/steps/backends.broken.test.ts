import { describe, expect, it } from 'vitest';
import type { BackendVerdict, MiddlewareAdapter } from '../../../src/adapters/types.js';
import { validateConfig } from '../../../src/config/load.js';
import { createLogging } from '../../../src/log.js';
import { createDecider } from '../../../src/pipeline/pipeline.js';
import { memoryStore } from '../../../src/store/memory.js';
import { astraViewer } from '../../adapters/support.js';

const ALLOW: BackendVerdict = { outcome: 'allow', info: { sessionName: 'from-good' }, notes: [] };
const good: MiddlewareAdapter = { name: 'good', check: () => Promise.resolve(ALLOW) };
const rejecting: MiddlewareAdapter = { name: 'broken', check: () => Promise.reject(new RangeError('bug')) };
const throwing: MiddlewareAdapter = {
  name: 'broken',
  check: () => {
    throw new Error('bug');
  },
};

/** The decision of a route asking `broken` then `good`, in `mode`. */
async function decide(broken: MiddlewareAdapter, mode: 'any' | 'sequential') {
  const backend = { type: 'http', url: 'http://127.0.0.1:9/check' };
  const config = validateConfig(
    {
      backends: { broken: backend, good: backend },
      routes: { default: { backends: ['broken', 'good'], mode } },
    },
    'test',
  );
  const { log } = createLogging({ level: 'error', format: 'json' });
  const store = memoryStore({ maxEntries: 10 });
  const adapters = new Map([
    ['broken', broken],
    ['good', good],
  ]);
  const decision = await createDecider(config, adapters, store, log).decide('default', astraViewer('t'));
  await store.close();
  return decision;
}

describe('a route of several backends, one of which breaks its promise never to reject', () => {
  it.each([
    ['rejects', rejecting, 'any'],
    ['throws', throwing, 'any'],
    ['rejects', rejecting, 'sequential'],
    ['throws', throwing, 'sequential'],
  ] as const)('one that %s in mode %s: the other backend decides', async (_what, broken, mode) => {
    expect(await decide(broken, mode)).toMatchObject({ allow: true, source: { by: 'backend:good' } });
  });
});
