import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** What writing a record file needs of the file system; a test hands in one that fails the way a full disk does. */
export interface RecordFiles {
  /** Writes `text` into a new file at `path` (refused if one is there), on disk before it resolves. */
  writeNew(path: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes the file if it is there. */
  remove(path: string): Promise<void>;
}

export const diskFiles: RecordFiles = {
  async writeNew(path, text) {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(text);
      // Some file systems report a full disk only when the data is flushed: before the rename, not after.
      await handle.datasync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => rename(from, to),
  remove: (path) => rm(path, { force: true }),
};

/**
 * Writes `name` into `dir` whole or not at all: into a hidden file first (a
 * dot and no `.json`, so replay never reads it), renamed once complete,
 * removed when writing it failed. A full disk leaves no empty or cut-off
 * record behind. Rejects with the write's own error.
 */
export async function writeWholeFile(dir: string, name: string, text: string, files: RecordFiles): Promise<void> {
  const partial = join(dir, `.${name}.partial`);
  try {
    await files.writeNew(partial, text);
    await files.rename(partial, join(dir, name));
  } catch (error) {
    await files.remove(partial).catch(() => undefined);
    throw error;
  }
}
