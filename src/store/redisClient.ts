import { createRequire } from 'node:module';

/**
 * The ioredis client class, loaded on first use: a bridge on the memory store (and every other command)
 * would otherwise pay for it at start.
 */
export function loadRedisClient(): typeof import('ioredis').Redis {
  const { Redis } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  makeStringPrototypeFast();
  return Redis;
}

/**
 * Loading ioredis runs `class VerbatimString extends String`. Giving String.prototype a new object to be
 * the prototype of puts it in V8's dictionary mode, and V8 makes a prototype fast again only when a
 * property is looked up through an object that has it on its chain. A string is a primitive, which never
 * does, and on RESP2 ioredis never makes a VerbatimString: so String.prototype stayed slow, and every
 * `charCodeAt`, `includes` or `slice` in optimized code became a generic lookup. A cached check on the
 * Redis store cost 13% more instructions than on the memory store (`bench/instructions.ts`, SERVERS=off,near).
 * Lookups through a String object, enough of them for V8 to keep their feedback, make it fast again.
 */
function makeStringPrototypeFast(): void {
  const wrapper: { charCodeAt: unknown } = new String('');
  for (let i = 0; i < 1000; i++) if (wrapper.charCodeAt === undefined) return;
}
