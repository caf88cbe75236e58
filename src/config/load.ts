import { collectDocument, ConfigError, parseSettingsText, readSettingsFile, type Collected } from './document.js';
import { referenceProblems } from './references.js';
import { configSchema, listenClashProblems, type BridgeConfig } from './schema.js';

// The error every entry point here throws, for callers that only load a config.

/** The configuration in a document, with its references checked; every problem at once. */
export function collectConfig(document: unknown, env: NodeJS.ProcessEnv = process.env): Collected<BridgeConfig> {
  return collectDocument(configSchema, document, env, (substituted) => [
    ...referenceProblems(substituted),
    ...listenClashProblems(substituted),
  ]);
}

/** Validates an already parsed configuration document. */
export function validateConfig(document: unknown, source: string, env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const { value, problems } = collectConfig(document, env);
  if (problems.length > 0) throw new ConfigError(problems, source);
  return value!;
}

export const MAX_CONFIG_BYTES = 1024 * 1024;

/** A config file's parsed document; a ConfigError when it cannot be read or parsed, or is empty. */
export function readConfigDocument(file: string): unknown {
  return configDocument(readSettingsFile(file, MAX_CONFIG_BYTES), file);
}

/**
 * The document a config file's text holds. An empty file (or one of only comments) is refused, at
 * start as on a reload: it is what a reader sees halfway through a non-atomic write, or a file never
 * filled in, and every default would deny every viewer. `{}` asks for every default on purpose.
 */
export function configDocument(text: string, file: string): unknown {
  const document = parseSettingsText(text, file);
  if (document === null || document === undefined) {
    throw new ConfigError(
      ['(file): is empty (every default would deny every check; write {} to mean every default)'],
      file,
    );
  }
  return document;
}
