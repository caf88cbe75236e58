import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { assertReadableFile, cannotRead, ConfigError } from '../../config/document.js';
import type { LocalUser, Packages } from '../../config/policySchema.js';
import { MAX_USERS_FILE_BYTES, usersFromText, type UserSet } from '../../config/usersFile.js';
import { threadId } from 'node:worker_threads';
import { ModuleThread, serveInThread } from '../../threads/moduleThread.js';

/*
 * A users file read and validated in a worker thread: parsing 10,000 users takes YAML about a second of
 * CPU (100,000: ten), which on the event loop held every check that long. The thread hands back plain
 * users a slice per message, so taking them in never holds the loop for long either.
 */

const THREAD = 'users-file-reader';
/** Users per message: structured-cloning a slice this size costs the main thread about a millisecond. */
const USERS_PER_PART = 2000;

export interface FileReadRequest {
  readonly file: string;
  readonly main: UserSet;
  readonly env: NodeJS.ProcessEnv;
  /** What the last read saw (`seen` of its outcome): the same file again is `unchanged`. */
  readonly lastSeen: string;
}

/**
 * `seen` tells one read from the next: the file's sha256, or the problem that kept it from being read.
 * `users` come in parts; the outcome carries the packages and how many users the file has.
 */
export type FileReadOutcome =
  | { readonly kind: 'unchanged'; readonly seen: string }
  | { readonly kind: 'invalid'; readonly seen: string; readonly problems: readonly string[] }
  | {
      readonly kind: 'users';
      readonly seen: string;
      readonly packages: Packages;
      readonly count: number;
      /** The thread that parsed it (0: the main thread). */
      readonly thread: number;
    };

const digestOf = (text: string) => createHash('sha256').update(text).digest('base64');

/** What the thread does for one request (exported for `openLocalUsers` at start, where it runs in place). */
export function readUsersFileOnce(
  { file, main, env, lastSeen }: FileReadRequest,
  part: (users: readonly LocalUser[]) => void,
): FileReadOutcome {
  let text: string;
  try {
    assertReadableFile(file, MAX_USERS_FILE_BYTES);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const seen = cannotRead(error);
    return seen === lastSeen ? { kind: 'unchanged', seen } : { kind: 'invalid', seen, problems: [seen] };
  }
  const seen = digestOf(text);
  if (seen === lastSeen) return { kind: 'unchanged', seen };
  let set: UserSet;
  try {
    set = usersFromText(text, file, main, env);
  } catch (error) {
    return { kind: 'invalid', seen, problems: error instanceof ConfigError ? error.problems : [String(error)] };
  }
  // The main config's users are the caller's already: only the file's own cross back.
  const own = set.users.slice(main.users.length);
  for (let at = 0; at < own.length; at += USERS_PER_PART) part(own.slice(at, at + USERS_PER_PART));
  return { kind: 'users', seen, packages: set.packages, count: own.length, thread: threadId };
}

serveInThread<FileReadRequest, FileReadOutcome, readonly LocalUser[]>(THREAD, () => readUsersFileOnce);

/** The process's one reader thread, shared by every set of local users (a reload opens a new set). */
let reader: ModuleThread<FileReadRequest, FileReadOutcome, readonly LocalUser[]> | undefined;

/** Reads the users file in the reader thread; `part` receives the file's users, a slice at a time. */
export function readUsersFileInThread(
  request: FileReadRequest,
  part: (users: readonly LocalUser[]) => void,
): Promise<FileReadOutcome> {
  reader ??= new ModuleThread(THREAD, import.meta.url);
  return reader.ask(request, part);
}
