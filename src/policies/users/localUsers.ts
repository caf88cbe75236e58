import { resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ConfigError } from '../../config/document.js';
import type { LocalUser } from '../../config/policySchema.js';
import type { UserSet, UsersSettings } from '../../config/usersFile.js';
import { watchForChanges } from '../../lifecycle/watch.js';
import { type Clock, systemClock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { ViewerRequest } from '../../viewer.js';
import { buildUserDirectory, type DirectoryUser, type UserDirectory, UserDirectoryBuilder } from './directory.js';
import { type FileReadOutcome, readUsersFileInThread, readUsersFileOnce } from './fileThread.js';
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

type PasswordUser = DirectoryUser & { readonly password: string };

/** One answer per user, made at its first check: a repeated check allocates none. */
const IDENTIFIED = new WeakMap<DirectoryUser, Identified>();

function identifiedAs(user: DirectoryUser): Identified {
  let identified = IDENTIFIED.get(user);
  if (identified === undefined) {
    identified = { user };
    IDENTIFIED.set(user, identified);
  }
  return identified;
}

/** A users file as read: the directory it makes, and what was seen (so an unchanged file is not applied again). */
interface FileUsers {
  readonly directory: UserDirectory;
  readonly seen: string;
}

/** The outcome's users as a directory, a slice per turn of the event loop. */
async function directoryInSlices(
  main: UserSet,
  outcome: Extract<FileReadOutcome, { kind: 'users' }>,
  parts: readonly (readonly LocalUser[])[],
): Promise<UserDirectory> {
  const builder = new UserDirectoryBuilder(outcome.packages);
  builder.add(main.users);
  for (const part of parts) {
    await nextTurn();
    builder.add(part);
  }
  return builder.build();
}

/** Reads the users file in the reader thread; a file that changed and is valid comes back as a directory. */
async function readInThread(
  file: string,
  main: UserSet,
  env: NodeJS.ProcessEnv,
  lastSeen: string,
): Promise<Exclude<FileReadOutcome, { kind: 'users' }> | ({ kind: 'users' } & FileUsers)> {
  const parts: (readonly LocalUser[])[] = [];
  const outcome = await readUsersFileInThread({ file, main, env, lastSeen }, (part) => parts.push(part));
  if (outcome.kind !== 'users') return outcome;
  return { kind: 'users', directory: await directoryInSlices(main, outcome, parts), seen: outcome.seen };
}

/** Reads the users file here and now, as `serve` does before it listens. */
function readInPlace(file: string, main: UserSet, env: NodeJS.ProcessEnv): FileUsers {
  const parts: (readonly LocalUser[])[] = [];
  const outcome = readUsersFileOnce({ file, main, env, lastSeen: '' }, (part) => parts.push(part));
  if (outcome.kind !== 'users') throw new ConfigError(outcome.kind === 'invalid' ? outcome.problems : [], file);
  return {
    directory: buildUserDirectory([...main.users, ...parts.flat()], outcome.packages),
    seen: outcome.seen,
  };
}

/**
 * Local users, the users file read on the event loop: for the start, when nothing listens yet. The file
 * must be valid (a ConfigError otherwise). Later a file that turns invalid or unreadable is logged once
 * per change and the last good users stay in force. Requests never wait for a reload: the file is read
 * in a thread of its own and each request sees one whole set of users. Remembered password results
 * expire by `clock`.
 */
export function openLocalUsers(
  settings: UsersSettings,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  clock: Clock = systemClock,
): LocalUsers {
  const main: UserSet = { users: settings.users, packages: settings.packages };
  const file = settings.usersFile === undefined ? undefined : resolve(settings.usersFile);
  return localUsersOver(
    main,
    file === undefined ? undefined : { file, ...readInPlace(file, main, env) },
    log,
    env,
    clock,
  );
}

/** The same for a reload of the config: the users file is read in the reader thread, checks go on meanwhile. */
export async function loadLocalUsers(
  settings: UsersSettings,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  clock: Clock = systemClock,
): Promise<LocalUsers> {
  const main: UserSet = { users: settings.users, packages: settings.packages };
  const file = settings.usersFile === undefined ? undefined : resolve(settings.usersFile);
  if (file === undefined) return localUsersOver(main, undefined, log, env, clock);
  const read = await readInThread(file, main, env, '');
  if (read.kind !== 'users') throw new ConfigError(read.kind === 'invalid' ? read.problems : [], file);
  return localUsersOver(main, { file, ...read }, log, env, clock);
}

/** Local users over the users as first read; with a file, it is followed and read again when it changes. */
function localUsersOver(
  main: UserSet,
  fromFile: (FileUsers & { readonly file: string }) | undefined,
  log: Logger,
  env: NodeJS.ProcessEnv,
  clock: Clock,
): LocalUsers {
  const passwords = new PasswordChecker(undefined, clock);
  let directory = fromFile?.directory ?? buildUserDirectory(main.users, main.packages);
  let stopWatching = () => {};

  if (fromFile) {
    const { file } = fromFile;
    // What was last read, digest or read error, so an unchanged file is neither re-applied nor re-reported.
    let lastSeen = fromFile.seen;
    let closed = false;
    const apply = async () => {
      log.debug('users file changed, reading it', { file });
      let read: Awaited<ReturnType<typeof readInThread>>;
      try {
        read = await readInThread(file, main, env, lastSeen);
      } catch (error) {
        // The thread died (out of memory, say): nothing was seen, so the next change is read again.
        read = { kind: 'invalid', seen: lastSeen, problems: [`(file): not read: ${(error as Error).message}`] };
      }
      if (closed || read.kind === 'unchanged') return;
      lastSeen = read.seen;
      if (read.kind === 'invalid') {
        log.warn('users file not reloaded, the previous users stay in force', { file, problems: read.problems });
        return;
      }
      directory = read.directory;
      log.info('users file reloaded', { file, users: directory.size });
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

  // Called on every check with a token or credentials: the users are looked up without building an object.
  const tokenUser = (viewer: ViewerRequest): DirectoryUser | undefined =>
    viewer.token === undefined ? undefined : directory.byToken(viewer.token);
  /** The user whose password is still to be checked, when the token named nobody. */
  const loginUser = (viewer: ViewerRequest): PasswordUser | undefined => {
    const user = viewer.credentials && directory.byLogin(viewer.credentials.login);
    return user?.password === undefined ? undefined : (user as PasswordUser);
  };

  return {
    async identify(viewer) {
      const byToken = tokenUser(viewer);
      const byLogin = byToken ? undefined : loginUser(viewer);
      if (!byLogin) return byToken;
      return (await passwords.check(byLogin.password, viewer.credentials!.password)) ? byLogin : undefined;
    },
    identifyNow(viewer) {
      const byToken = tokenUser(viewer);
      if (byToken) return identifiedAs(byToken);
      const byLogin = loginUser(viewer);
      if (!byLogin) return NOBODY;
      const ok = passwords.checkNow(byLogin.password, viewer.credentials!.password);
      if (ok === undefined) return undefined;
      return ok ? identifiedAs(byLogin) : NOBODY;
    },
    close() {
      stopWatching();
      passwords.close();
    },
  };
}
