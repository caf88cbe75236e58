import type { Result } from 'ioredis';

/**
 * Connection limits, atomic across every instance sharing the server. KEYS[1] is
 * a sorted set of the user's sessions scored by when each was last seen (the
 * server's clock, so instances with skewed clocks agree). ARGV: session,
 * idle milliseconds, limit, unique (1/0). Returns 1 when admitted, else 0.
 */
const ADMIT_SESSION_LUA = `
local key = KEYS[1]
local idleMs = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - idleMs))
local admitted = 0
if redis.call('ZSCORE', key, ARGV[1]) then
  admitted = 1
elseif ARGV[4] == '1' then
  redis.call('DEL', key)
  admitted = 1
elseif redis.call('ZCARD', key) < tonumber(ARGV[3]) then
  admitted = 1
end
if admitted == 1 then
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, idleMs)
end
return admitted
`;

/**
 * Adds ARGV[2] to each set of KEYS and makes each live at least ARGV[1] milliseconds: a set lives
 * as long as its longest-lived member (EXPIRE GT would leave a new set without any expiry).
 */
const ADD_TO_SETS_LUA = `
for _, key in ipairs(KEYS) do
  redis.call('SADD', key, ARGV[2])
  if redis.call('PTTL', key) < tonumber(ARGV[1]) then
    redis.call('PEXPIRE', key, ARGV[1])
  end
end
return 1
`;

/** Drops KEYS[1..] and answers, for each, 1 when it held something (counted sessions: how many). */
const DROP_LUA = `
local counts = {}
for i, key in ipairs(KEYS) do
  local kind = redis.call('TYPE', key).ok
  if kind == 'zset' then counts[i] = redis.call('ZCARD', key) else counts[i] = (kind == 'none') and 0 or 1 end
  redis.call('UNLINK', key)
end
return counts
`;

/** KEYS[1]'s value and how many milliseconds it has left (-1: no expiry), in one round trip. */
const GET_WITH_TTL_LUA = `
local value = redis.call('GET', KEYS[1])
if not value then return {false, 0} end
return {value, redis.call('PTTL', KEYS[1])}
`;

/**
 * A miss shared across instances: KEYS[1] is its lock. ARGV: this asker's token, the lock's life in
 * ms. Returns 1 when the caller now holds it (and asks), 2 when the holder has just stored its
 * answer (read it), minus the milliseconds the lock has left while another asker holds it (wait for
 * its announcement until then; a lock without expiry, not a bridge's, counts as living ARGV[2]).
 * A lock ending within this millisecond answers 0, claimed again at once: counting it as living
 * ARGV[2] made a waiter whose retry landed on its end wait out its whole budget and deny.
 */
const CLAIM_MISS_LUA = `
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
if redis.call('GET', KEYS[1]) == 'stored' then return 2 end
local left = redis.call('PTTL', KEYS[1])
if left == -1 then left = tonumber(ARGV[2]) end
if left < 0 then left = 0 end
return -left
`;

/**
 * The holder of KEYS[1] is done: when the lock is still its own (ARGV[1]), it is marked `stored`
 * for ARGV[3] ms when the answer was stored (ARGV[2] = '1'; so an asker arriving just after reads
 * it rather than asking again), else released. ARGV[5] is then announced on channel ARGV[4].
 */
const RELEASE_MISS_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[2] == '1' then redis.call('SET', KEYS[1], 'stored', 'PX', ARGV[3]) else redis.call('DEL', KEYS[1]) end
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    admitSession(key: string, session: string, idleMs: number, limit: number, unique: 0 | 1): Result<number, Context>;
    addToSets(count: number, ...keysThenTtlAndMember: (string | number)[]): Result<number, Context>;
    dropKeys(count: number, ...keys: string[]): Result<number[], Context>;
    getWithTtl(key: string): Result<[string | null, number], Context>;
    claimMiss(lock: string, token: string, lockMs: number): Result<number, Context>;
    releaseMiss(
      lock: string,
      token: string,
      stored: '1' | '0',
      markMs: number,
      channel: string,
      message: string,
    ): Result<number, Context>;
  }
}

/** The scripts the Redis store runs, as ioredis `scripts` (sent once, then called by digest). */
export const STORE_SCRIPTS = {
  admitSession: { lua: ADMIT_SESSION_LUA, numberOfKeys: 1 },
  // Called with the number of keys first: each note names its own.
  addToSets: { lua: ADD_TO_SETS_LUA },
  dropKeys: { lua: DROP_LUA },
  getWithTtl: { lua: GET_WITH_TTL_LUA, numberOfKeys: 1 },
  claimMiss: { lua: CLAIM_MISS_LUA, numberOfKeys: 1 },
  releaseMiss: { lua: RELEASE_MISS_LUA, numberOfKeys: 1 },
} as const;
