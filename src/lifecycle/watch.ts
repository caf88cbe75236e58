import { statSync, unwatchFile, watch, watchFile, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

// Watching files for changes: the config file (`reload.watch`) and the users file follow them the same way.

/** Several events for one save (write, chmod, rename) become one reload. */
const SETTLE_MS = 150;
/** The fallback for file systems where change events never arrive (NFS, some containers). */
const POLL_MS = 2000;

/**
 * Calls `onChange` (debounced) when `file` may have changed. Watches the
 * directory, not the file, so a file replaced by a rename (how editors and
 * deploy tools save) is still followed; a periodic stat covers the rest.
 * Returns the function that stops watching.
 */
export function watchForChanges(file: string, onChange: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const settle = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, SETTLE_MS);
    timer.unref();
  };
  const name = basename(file);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) settle();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // No change events here; the periodic stat still notices.
  }
  const onStat = () => settle();
  watchFile(file, { persistent: false, interval: POLL_MS }, onStat);
  return () => {
    clearTimeout(timer);
    watcher?.close();
    unwatchFile(file, onStat);
  };
}

/** The config file's watch (`reload.watch`), turned on and off as reloads change the setting. */
export interface ConfigWatch {
  /**
   * `readVersion`: the `fileVersion` the config now in force was read at (a reload's read). What the
   * watch saw before is then not reported: a SIGHUP reload that turns `reload.watch` on, or one that
   * read a save before the watch's own event came, does not reload the same file again.
   */
  follow(on: boolean, readVersion?: string): void;
  close(): void;
}

/** What tells one version of the file from another without reading it. */
export function fileVersion(file: string): string {
  try {
    const { ino, size, mtimeMs } = statSync(file);
    return `${ino}:${size}:${mtimeMs}`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unreadable';
  }
}

/**
 * Calls `onChange` when the file changes, while following is on. The watch
 * is `watchForChanges`, as the users file's: it watches the directory, so a file replaced by a
 * rename (how editors and deploy tools save) is still followed, lets an
 * editor's write-rename-chmod settle into one call, and polls where change
 * events never arrive. The poll also notices a save the events already
 * reported: a version already seen is not reported again.
 *
 * `startVersion` is the file's version when the running config was read at start: a save made between
 * that read and the first `follow(true)` (the listeners start in between) is then still reported.
 */
export function configWatch(file: string, onChange: () => void, startVersion?: string): ConfigWatch {
  let stop: (() => void) | undefined;
  let seen = '';
  let unseen = startVersion;
  return {
    follow(on, readVersion) {
      const known = readVersion ?? unseen;
      unseen = undefined;
      if (!on) return this.close();
      if (stop) {
        if (known !== undefined) seen = known;
        return;
      }
      seen = known ?? fileVersion(file);
      stop = watchForChanges(file, () => {
        const version = fileVersion(file);
        if (version === seen) return;
        seen = version;
        onChange();
      });
      const now = fileVersion(file);
      if (now !== seen) {
        seen = now;
        onChange();
      }
    },
    close() {
      stop?.();
      stop = undefined;
    },
  };
}
