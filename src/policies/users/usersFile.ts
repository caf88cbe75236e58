import { unwatchFile, watch, watchFile, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { collectDocument, ConfigError, parseConfigText } from '../../config/document.js';
import { packagesSchema, userSchema, type LocalUser, type Packages } from '../../config/policySchema.js';
import { userReferenceProblems } from '../../config/references.js';

export interface UserSet {
  readonly users: readonly LocalUser[];
  readonly packages: Packages;
}

const FILE_KEYS = new Set(['users', 'packages']);

/** A users file's users, with its packages already merged with the main config's. */
const userSetSchema = z.strictObject({ users: z.array(userSchema), packages: packagesSchema });

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A users file is a list of users, or `{users: [...], packages: {...}}`. */
function fileParts(document: unknown, file: string): { users: unknown; packages: Record<string, unknown> } {
  // An empty file is refused rather than read as "no users": it is what a reader sees halfway through a non-atomic write.
  if (document === null || document === undefined)
    throw new ConfigError(['(file): is empty (write [] for a file with no users)'], file);
  if (Array.isArray(document)) return { users: document, packages: {} };
  if (!isMapping(document))
    throw new ConfigError(['(top level): expected a list of users, or a mapping with users and packages'], file);
  const unknown = Object.keys(document).filter((key) => !FILE_KEYS.has(key));
  if (unknown.length > 0)
    throw new ConfigError(
      unknown.map((key) => `${key}: unknown key (a users file holds users and packages)`),
      file,
    );
  const packages = document.packages ?? {};
  if (!isMapping(packages))
    throw new ConfigError(['packages: expected a mapping of package names to lists of channel ids'], file);
  return { users: document.users ?? [], packages };
}

/**
 * Reads a users file with the config's rules (YAML or JSON, `${ENV}`
 * substitution, errors naming the key). Its users may use the config's
 * packages; a login, token or package name may not be defined in both.
 */
export function usersFromText(text: string, file: string, main: UserSet, env: NodeJS.ProcessEnv): UserSet {
  const parts = fileParts(parseConfigText(text, file), file);
  const clashes = Object.keys(parts.packages).filter((name) => Object.hasOwn(main.packages, name));
  if (clashes.length > 0)
    throw new ConfigError(
      clashes.map((name) => `packages.${name}: also defined in the main config`),
      file,
    );
  const document = { users: parts.users, packages: { ...main.packages, ...parts.packages } };
  const { value, problems } = collectDocument(userSetSchema, document, env, (substituted) =>
    userReferenceProblems(substituted, main.users),
  );
  if (problems.length > 0 || !value) throw new ConfigError(problems, file);
  return { users: [...main.users, ...value.users], packages: value.packages };
}

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
