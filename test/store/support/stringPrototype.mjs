// Child process (node --allow-natives-syntax): whether String.prototype is in V8's fast mode at start, after
// ioredis loads, and after the built module argv[2] (store/redisClient.ts) loads the client. A process of its
// own, because a test worker may have loaded ioredis (and so run its `extends String`) for an earlier file.
import { createRequire } from 'node:module';

// Natives syntax is not JavaScript a parser (biome's) reads: compiled at run time.
const fast = new Function('return %HasFastProperties(String.prototype)');
const atStart = fast();
createRequire(import.meta.url)('ioredis');
const afterIoredis = fast();
const { loadRedisClient } = await import(process.argv[2]);
const client = loadRedisClient().name;
process.stdout.write(JSON.stringify({ atStart, afterIoredis, afterLoadRedisClient: fast(), client }));
