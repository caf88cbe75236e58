import { z } from 'zod';
import { hasReadableCredentials, integer } from './fields.js';
import { streamingServers } from './streamingServersSchema.js';

function isPostgresUrl(text: string): boolean {
  if (!URL.canParse(text) || !hasReadableCredentials(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
}

/**
 * Where viewing sessions are kept for `iptv-auth-bridge stats` and `/admin/stats` (README: "Viewing sessions and
 * statistics").
 */
const stats = z
  .strictObject({
    store: z.enum(['sqlite', 'postgres', 'off']).default('sqlite'),
    /** The SQLite file; its folder is created on first start. */
    path: z.string().min(1).default('./data/stats.db'),
    url: z.string().refine(isPostgresUrl, 'expected postgres://[user[:password]@]host[:port]/database').optional(),
    /** Session rows waiting for the database; past this many, new rows are dropped and counted. */
    queue: integer(100, 10_000_000).default(100_000),
    keepDays: integer(1, 36_500).default(90),
    /** Live sessions kept in memory (about 1 KB each); past it the least recently checked one is ended as idle. */
    maxLiveSessions: integer(10, 10_000_000).default(100_000),
  })
  .prefault({})
  .refine((s) => s.store !== 'postgres' || s.url !== undefined, {
    message: 'required when store is postgres',
    path: ['url'],
  });

/** Spread into the main config schema. */
export const statisticsKeys = { stats, streamingServers };

export type StatsConfig = z.output<typeof stats>;
