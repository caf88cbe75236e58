import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where the shipped fixtures live: one folder per middleware, and `callers/` for the streaming servers. */
export const SHIPPED_FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/**
 * Every middleware's fixture folder, read from the disk: a new middleware's folder is checked (loaded,
 * labelled, replayed) without being added to a list by hand.
 */
export const MIDDLEWARE_FIXTURE_FOLDERS: readonly string[] = readdirSync(SHIPPED_FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'callers')
  .map((entry) => entry.name)
  .sort();
