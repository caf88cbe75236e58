import { createHash } from 'node:crypto';
import { ConfigError, parseSettingsText, readSettingsFile } from '../config/document.js';
import { MAX_CONFIG_BYTES, validateConfig } from '../config/load.js';
import type { BridgeConfig } from '../config/schema.js';

/** A validated config and the file text it came from. */
export interface LoadedConfig {
  readonly config: BridgeConfig;
  /** sha256 of the file as read, hex: what `sha256sum` prints for the file on disk. */
  readonly digest: string;
}

export interface ReadOptions {
  /**
   * An empty file gives every default at start. A reload refuses it instead:
   * it is what a reader sees halfway through a non-atomic write, and every
   * default would mean no backends, no IP rules and no users.
   */
  readonly refuseEmpty?: boolean;
}

/** Reads and validates the config file; a ConfigError lists every problem with its key. */
export function readConfigFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  { refuseEmpty = false }: ReadOptions = {},
): LoadedConfig {
  const text = readSettingsFile(file, MAX_CONFIG_BYTES);
  const document = parseSettingsText(text, file);
  if (refuseEmpty && (document === null || document === undefined)) {
    throw new ConfigError(
      ['(file): is empty (a reload keeps the running config rather than fall back to every default)'],
      file,
    );
  }
  return { config: validateConfig(document, file, env), digest: createHash('sha256').update(text).digest('hex') };
}
