import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { assertReadableFile, cannotRead, ConfigError } from '../../config/document.js';
import {
  MAX_USERS_FILE_BYTES,
  readUsersFile,
  usersFromText,
  type UserSet,
  type UsersSettings,
} from '../../config/usersFile.js';
import { watchForChanges } from '../../lifecycle/watch.js';
import { type Clock, systemClock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { ViewerRequest } from '../../viewer.js';
import { buildUserDirectory, type DirectoryUser, type UserDirectory } from './directory.js';
import { PasswordChecker } from './passwords.js';

/** The bridge's local users (config `users` plus `usersFile`), shared by every route. */
export interface LocalUsers {
  /**
   * The local user a `token`, or an `auth=login:password` with the right
   * password, names; undefined for anything else (the check then passes on).
   */
  identify(viewer: ViewerRequest): Promise<DirectoryUser | undefined>;
  /**
   * The same without waiting: `{ user }` (undefined for no local user), or undefined when a
   * password hash must be checked first (then call `identify`). A token, a plain password and a
   * hashed one checked within the last minute are answered at once.
   */
  identifyNow(viewer: ViewerRequest): Identified | undefined;
  close(): void;
}

export interface Identified {
  readonly user: DirectoryUser | undefined;
}

const NOBODY: Identified = { user: undefined };

const digestOf = (text: string) => createHash('sha256').update(text).digest('base64');

/**
 * Local users; with a `usersFile`, re-read when it changes. The file must be
 * valid at start (a ConfigError otherwise). Later a file that turns invalid
 * or unreadable is logged once per change and the last good users stay in
 * force. Requests never wait for a reload: each sees one whole set of users.
 * Remembered password results expire by `clock`.
 */
export function openLocalUsers(
  settings: UsersSettings,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  clock: Clock = systemClock,
): LocalUsers {
  const passwords = new PasswordChecker(undefined, clock);
  const main: UserSet = { users: settings.users, packages: settings.packages };
  let directory: UserDirectory = buildUserDirectory(main.users, main.packages);
  let stopWatching = () => {};

  if (settings.usersFile !== undefined) {
    const file = resolve(settings.usersFile);
    const initial = readUsersFile(file, main, env);
    directory = buildUserDirectory(initial.set.users, initial.set.packages);
    // What was last read, text or read error, so an unchanged file is neither re-applied nor re-reported.
    let lastSeen = digestOf(initial.text);
    let closed = false;

    const apply = async () => {
      let text: string;
      try {
        assertReadableFile(file, MAX_USERS_FILE_BYTES);
        text = await readFile(file, 'utf8');
      } catch (error) {
        if (closed || lastSeen === cannotRead(error)) return;
        lastSeen = cannotRead(error);
        log.warn('users file not reloaded, the previous users stay in force', { file, problems: [lastSeen] });
        return;
      }
      const seen = digestOf(text);
      if (closed || lastSeen === seen) return;
      lastSeen = seen;
      try {
        const set = usersFromText(text, file, main, env);
        directory = buildUserDirectory(set.users, set.packages);
        log.info('users file reloaded', { file, users: directory.size });
      } catch (error) {
        const problems = error instanceof ConfigError ? error.problems : [String(error)];
        log.warn('users file not reloaded, the previous users stay in force', { file, problems });
      }
    };
    // Reloads run one after the other, so an older read can never replace a newer one.
    let reloading = Promise.resolve();
    const stopEvents = watchForChanges(file, () => {
      reloading = reloading.then(apply);
    });
    stopWatching = () => {
      closed = true;
      stopEvents();
    };
  }

  /** The user a token names, or the one whose password is still to be checked; both undefined for nobody. */
  const named = (
    viewer: ViewerRequest,
  ): { byToken?: DirectoryUser; byLogin?: DirectoryUser & { password: string } } => {
    const current = directory;
    const byToken = viewer.token === undefined ? undefined : current.byToken(viewer.token);
    if (byToken) return { byToken };
    const user = viewer.credentials && current.byLogin(viewer.credentials.login);
    return user?.password === undefined ? {} : { byLogin: user as DirectoryUser & { password: string } };
  };

  return {
    async identify(viewer) {
      const { byToken, byLogin } = named(viewer);
      if (!byLogin) return byToken;
      return (await passwords.check(byLogin.password, viewer.credentials!.password)) ? byLogin : undefined;
    },
    identifyNow(viewer) {
      const { byToken, byLogin } = named(viewer);
      if (!byLogin) return byToken ? { user: byToken } : NOBODY;
      const ok = passwords.checkNow(byLogin.password, viewer.credentials!.password);
      if (ok === undefined) return undefined;
      return ok ? { user: byLogin } : NOBODY;
    },
    close() {
      stopWatching();
      passwords.close();
    },
  };
}
