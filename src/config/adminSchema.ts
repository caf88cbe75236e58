import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { formatHostPort, listen } from './fields.js';

/** Where the admin listener goes when the config says nothing: loopback only, next to the decision port. */
const DEFAULT_ADMIN_LISTEN = { host: '127.0.0.1', port: 8089 } as const;

/** A token shorter than this is guessable from the network; the admin routes can flush and revoke. */
const MIN_TOKEN_LENGTH = 16;

/**
 * Whether only this machine can reach `host` (127.0.0.0/8, ::1, localhost); `listen` has already checked it is one of
 * those forms or an IP.
 */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || (ipaddr.isValid(host) && ipaddr.parse(host).range() === 'loopback');
}

/** `off`, or an address as the decision listener's `listen` takes it. */
const adminListen = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (value === 'off') return 'off' as const;
  const address = listen.safeParse(value);
  if (address.success) return address.data;
  ctx.addIssue({
    code: 'custom',
    message: `expected off, or host:port with an IP address, e.g. 127.0.0.1:8089 or [::1]:8089`,
  });
  return z.NEVER;
});

/** One DNS label: letters, digits, `-` (not at either end), `_` (some internal names have it). */
const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

/**
 * `admin.hosts`: names, besides IP literals and `localhost`, a request's Host
 * may give (the admin listener refuses others: a DNS-rebinding page sends its
 * own name). Any port; compared without regard to case.
 */
const adminHosts = z
  .array(
    z
      .string()
      .transform((name) => name.trim().toLowerCase())
      .refine(
        (name) => HOST_NAME.test(name),
        'expected a host name such as bridge.example.net (no scheme, port or path: any port is accepted)',
      ),
  )
  .default([]);

/**
 * `admin: {listen, token, hosts}`: the operations listener (metrics, readiness,
 * status page, steering). `listen: off` turns it off; `explicit` records
 * whether the port was chosen, because a taken default port only warns while
 * a taken chosen one fails the start.
 */
export const adminSchema = z
  .strictObject({
    listen: adminListen.optional(),
    /** Empty (an unset `${ADMIN_TOKEN:-}`) means no token. */
    token: z
      .string()
      .optional()
      .transform((token) => (token === '' ? undefined : token))
      .refine(
        (token) => token === undefined || token.length >= MIN_TOKEN_LENGTH,
        `at least ${MIN_TOKEN_LENGTH} characters (it guards revoke, flush and reload)`,
      )
      // Sent as `Authorization: Bearer <token>`, which ends at the first blank and carries no other text as it was
      // written: a token with a space passed check-config and then matched no request.
      .refine(
        (token) => token === undefined || /^[\x21-\x7e]+$/.test(token),
        'visible ASCII characters only, no spaces (it is sent as Authorization: Bearer <token>)',
      ),
    hosts: adminHosts,
  })
  .prefault({})
  .transform(({ listen: address, token, hosts }, ctx) => {
    if (address === 'off') return { enabled: false as const, token, hosts };
    const at = address ?? DEFAULT_ADMIN_LISTEN;
    if (token === undefined && !isLoopbackHost(at.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message:
          `required when admin.listen is not a loopback address (${at.host}): ` +
          'anyone who reaches it could flush and revoke',
      });
      return z.NEVER;
    }
    return { enabled: true as const, host: at.host, port: at.port, explicit: address !== undefined, token, hosts };
  });

export type AdminConfig = z.output<typeof adminSchema>;

/** `admin` as the config file writes it, for `check-config` to print: it reads back as the same settings. */
export function printableAdmin(admin: AdminConfig): { listen: string; token?: string; hosts?: readonly string[] } {
  const listen = admin.enabled ? formatHostPort(admin.host, admin.port) : 'off';
  return {
    listen,
    ...(admin.token === undefined ? {} : { token: admin.token }),
    ...(admin.hosts.length === 0 ? {} : { hosts: admin.hosts }),
  };
}
