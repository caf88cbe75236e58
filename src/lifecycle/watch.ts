import { statSync } from 'node:fs';
import { watchForChanges } from '../policies/users/usersFile.js';

/** The config file's watch (`reload.watch`), turned on and off as reloads change the setting. */
export interface ConfigWatch {
  follow(on: boolean): void;
  close(): void;
}

/** What tells one version of the file from another without reading it. */
function versionOf(file: string): string {
  try {
    const { ino, size, mtimeMs } = statSync(file);
    return `${ino}:${size}:${mtimeMs}`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unreadable';
  }
}

/**
 * Calls `onChange` when the file changes, while following is on. The watch
 * is the users file's: it watches the directory, so a file replaced by a
 * rename (how editors and deploy tools save) is still followed, lets an
 * editor's write-rename-chmod settle into one call, and polls where change
 * events never arrive. The poll also notices a save the events already
 * reported: a version already seen is not reported again.
 */
export function configWatch(file: string, onChange: () => void): ConfigWatch {
  let stop: (() => void) | undefined;
  let seen = '';
  return {
    follow(on) {
      if (on && !stop) {
        seen = versionOf(file);
        stop = watchForChanges(file, () => {
          const version = versionOf(file);
          if (version === seen) return;
          seen = version;
          onChange();
        });
      }
      if (!on && stop) this.close();
    },
    close() {
      stop?.();
      stop = undefined;
    },
  };
}
