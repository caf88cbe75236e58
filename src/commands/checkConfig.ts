import { stringify } from 'yaml';
import { checkConfigFile } from '../config/check.js';
import { maskSecrets } from '../config/mask.js';
import { printableConfig } from '../config/printable.js';
import { secretEnvValues } from '../secrets.js';

/**
 * `check-config`: every problem of the file and its users file at once (a
 * ConfigError, exit 1), else the effective config with secrets masked on
 * stdout and warnings about likely mistakes on stderr (exit 0).
 */
export function checkConfigCommand(
  file: string,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): number {
  const { config, warnings } = checkConfigFile(file, env);
  for (const warning of warnings) err.write(`warning: ${warning}\n`);
  const counted =
    warnings.length === 0 ? '' : ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'} on stderr)`;
  out.write(`# ${file}: valid${counted}\n${stringify(maskSecrets(printableConfig(config), secretEnvValues(env)))}`);
  return 0;
}
