import { resolve } from 'node:path';
import { checkUsersFile } from './usersFile.js';
import { collectConfig, readConfigDocument } from './load.js';
import { ConfigError } from './document.js';
import { packagesSchema } from './policySchema.js';
import { userIdentities } from './references.js';
import type { BridgeConfig } from './schema.js';
import { configWarnings } from './warnings.js';

export interface CheckedConfig {
  readonly config: BridgeConfig;
  /** Valid but likely wrong settings, one sentence each naming the keys. */
  readonly warnings: readonly string[];
}

/**
 * The users file's problems, each naming that file. When the main config is
 * invalid, clashes are looked for with its users as far as they can be read,
 * and the users file is checked at all only when the main config's packages
 * are valid (its users may name them).
 */
function usersFileProblems(config: BridgeConfig | undefined, substituted: unknown, env: NodeJS.ProcessEnv): string[] {
  const raw = substituted as { usersFile?: unknown; packages?: unknown; users?: unknown } | undefined;
  const usersFile = config
    ? config.usersFile
    : typeof raw?.usersFile === 'string' && raw.usersFile !== ''
      ? raw.usersFile
      : undefined;
  if (usersFile === undefined) return [];
  const packages = config?.packages ?? packagesSchema.safeParse(raw?.packages ?? {}).data;
  if (packages === undefined) return [];
  try {
    const users = config?.users ?? (Array.isArray(raw?.users) ? userIdentities(raw.users) : []);
    checkUsersFile({ usersFile, users, packages }, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((problem) => `usersFile (${resolve(usersFile)}): ${problem}`);
  }
}

/**
 * "Is this config valid?" in one call: the file, its references and its users
 * file, every problem in one ConfigError; on success the config and its warnings.
 */
export function checkConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): CheckedConfig {
  const { value: config, problems, substituted } = collectConfig(readConfigDocument(file), env);
  const all = [...problems, ...usersFileProblems(config, substituted, env)];
  if (all.length > 0 || !config) throw new ConfigError(all, file);
  return { config, warnings: configWarnings(config) };
}
