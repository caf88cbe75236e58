import { resolve } from 'node:path';
import { z } from 'zod';
import { collectDocument, ConfigError, parseSettingsText, readSettingsFile, unknownKeyProblem } from './document.js';
import { packagesSchema, userSchema, type LocalUser, type Packages, type UserIdentity } from './policySchema.js';
import { userReferenceProblems } from './references.js';
import type { BridgeConfig } from './schema.js';

/** The settings local users come from: the main config's users and packages, and its users file. */
export type UsersSettings = Pick<BridgeConfig, 'users' | 'packages' | 'usersFile'>;

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

/** A users file is a list of users, or `{users: [...], packages: {...}}`; `unknown`: its other keys' problems. */
function fileParts(
  document: unknown,
  file: string,
): { users: unknown; packages: Record<string, unknown>; unknown: string[] } {
  // An empty file is refused rather than read as "no users": it is what a reader sees halfway through a non-atomic
  // write.
  if (document === null || document === undefined)
    throw new ConfigError(['(file): is empty (write [] for a file with no users)'], file);
  if (Array.isArray(document)) return { users: document, packages: {}, unknown: [] };
  if (!isMapping(document))
    throw new ConfigError(['(top level): expected a list of users, or a mapping with users and packages'], file);
  // Reported with the rest, not alone: one run names every problem of the file.
  const unknown = Object.keys(document)
    .filter((key) => !FILE_KEYS.has(key))
    .map((key) => unknownKeyProblem('', key, ' (a users file holds users and packages)'));
  const packages = document.packages ?? {};
  if (!isMapping(packages))
    throw new ConfigError([...unknown, 'packages: expected a mapping of package names to lists of channel ids'], file);
  return { users: document.users ?? [], packages, unknown };
}

/**
 * A users file's own users, and its packages merged with the main config's; logins and tokens must not repeat `others`.
 */
function fileUserSet(
  text: string,
  file: string,
  mainPackages: Packages,
  others: readonly UserIdentity[],
  env: NodeJS.ProcessEnv,
): UserSet {
  const parts = fileParts(parseSettingsText(text, file), file);
  const clashes = Object.keys(parts.packages)
    .filter((name) => Object.hasOwn(mainPackages, name))
    .map((name) => `packages.${name}: also defined in the main config`);
  // Read on past a clash (the file's own definition stands in for it), so one run names every problem of the file.
  const document = { users: parts.users, packages: { ...mainPackages, ...parts.packages } };
  const { value, problems } = collectDocument(userSetSchema, document, env, (substituted) =>
    userReferenceProblems(substituted, others),
  );
  if (parts.unknown.length > 0 || clashes.length > 0 || problems.length > 0 || !value)
    throw new ConfigError([...parts.unknown, ...clashes, ...problems], file);
  return value;
}

/**
 * Reads a users file with the config's rules (YAML or JSON, `${ENV}`
 * substitution, errors naming the key). Its users may use the config's
 * packages; a login, token or package name may not be defined in both.
 */
export function usersFromText(text: string, file: string, main: UserSet, env: NodeJS.ProcessEnv): UserSet {
  const own = fileUserSet(text, file, main.packages, main.users, env);
  return { users: [...main.users, ...own.users], packages: own.packages };
}

/** Room for about a hundred thousand users. */
export const MAX_USERS_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads and validates the users file as `serve` does at start (for
 * `check-config`); a ConfigError when it is not usable. `users` are the main
 * config's, as far as they could be read (see userIdentities), so a clash with
 * them is found even while the main config has problems of its own.
 */
export function checkUsersFile(
  settings: { usersFile?: string; users: readonly UserIdentity[]; packages: Packages },
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (settings.usersFile === undefined) return;
  const file = resolve(settings.usersFile);
  fileUserSet(readSettingsFile(file, MAX_USERS_FILE_BYTES), file, settings.packages, settings.users, env);
}
