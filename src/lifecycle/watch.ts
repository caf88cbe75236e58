import { watchForChanges } from '../policies/users/usersFile.js';

/** The config file's watch (`reload.watch`), turned on and off as reloads change the setting. */
export interface ConfigWatch {
  follow(on: boolean): void;
  close(): void;
}

/**
 * Calls `onChange` when the file changes, while following is on. The watch
 * is the users file's: it watches the directory, so a file replaced by a
 * rename (how editors and deploy tools save) is still followed, lets an
 * editor's write-rename-chmod settle into one call, and polls where change
 * events never arrive.
 */
export function configWatch(file: string, onChange: () => void): ConfigWatch {
  let stop: (() => void) | undefined;
  return {
    follow(on) {
      if (on && !stop) stop = watchForChanges(file, onChange);
      if (!on && stop) this.close();
    },
    close() {
      stop?.();
      stop = undefined;
    },
  };
}
