import { printableAdmin } from './adminSchema.js';
import { printableListen } from './fields.js';
import { printableIpRule } from './policySchema.js';
import type { BridgeConfig } from './schema.js';

/**
 * The effective config in the form the file takes: each field whose schema
 * turns text into a structure is turned back (its inverse lives beside the
 * field), so the printout loads back as the same settings. Secrets are still
 * in it: mask before printing.
 */
export function printableConfig(config: BridgeConfig): Record<string, unknown> {
  const { listen, admin, ipRules, ...rest } = config;
  return {
    listen: printableListen(listen),
    admin: printableAdmin(admin),
    ipRules: ipRules.map(printableIpRule),
    ...rest,
  };
}
