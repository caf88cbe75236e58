import { createHash } from 'node:crypto';
import { readSettingsFile } from '../config/document.js';
import { configDocument, MAX_CONFIG_BYTES, validateConfig } from '../config/load.js';
import type { BridgeConfig } from '../config/schema.js';

/** A validated config and the file text it came from. */
export interface LoadedConfig {
  readonly config: BridgeConfig;
  /** sha256 of the file as read, hex: what `sha256sum` prints for the file on disk. */
  readonly digest: string;
  /** The file's text as read (a group's primary hands the text in force to a worker it starts again). */
  readonly text: string;
}

/** Reads and validates the config file (an empty one is refused); a ConfigError lists every problem with its key. */
export function readConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return configOfText(readSettingsFile(file, MAX_CONFIG_BYTES), file, env);
}

/** Validates `text` read from `file` earlier, as `readConfigFile` validates the file. */
export function configOfText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const document = configDocument(text, file);
  return { config: validateConfig(document, file, env), digest: createHash('sha256').update(text).digest('hex'), text };
}
