import { printableAdmin } from '../config/adminSchema.js';
import { stringify } from 'yaml';
import { checkConfigFile } from '../config/check.js';
import { maskSecrets } from '../config/mask.js';
import { formatHostPort, type BridgeConfig } from '../config/schema.js';
import { secretEnvValues } from '../secrets.js';

/** The effective config in the form the file takes, so the printout can be loaded back. */
function printableConfig(config: BridgeConfig, env: NodeJS.ProcessEnv): unknown {
  const { listen, admin, ipRules, ...rest } = config;
  const printable = {
    listen: formatHostPort(listen.host, listen.port),
    admin: printableAdmin(admin),
    ipRules: ipRules.map((rule) => `${rule.action} ${rule.range}`),
    ...rest,
  };
  return maskSecrets(printable, secretEnvValues(env));
}

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
  out.write(`# ${file}: valid${counted}\n${stringify(printableConfig(config, env))}`);
  return 0;
}
