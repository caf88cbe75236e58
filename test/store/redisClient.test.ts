import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtModule } from '../support/built.js';

describe('loadRedisClient', () => {
  it('hands out the ioredis client and leaves String.prototype fast, which loading ioredis alone does not', () => {
    const script = join(import.meta.dirname, 'support', 'stringPrototype.mjs');
    const seen = JSON.parse(
      execFileSync(process.execPath, ['--allow-natives-syntax', script, builtModule('store/redisClient.ts')], {
        encoding: 'utf8',
      }),
    );
    // afterIoredis false is the cause (ioredis's `class VerbatimString extends String`): once it reads true, the
    // workaround in redisClient.ts can go.
    expect(seen).toEqual({ atStart: true, afterIoredis: false, afterLoadRedisClient: true, client: 'Redis' });
  });
});
