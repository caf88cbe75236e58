import { isIP } from 'node:net';
import { z } from 'zod';
import { cidr, httpUrl, integer, nameKey } from './fields.js';

const astra = z
  .strictObject({
    type: z.literal('astra'),
    /** Astra's web interface address (its control API is `POST <url>/control/`). */
    url: httpUrl,
    login: z.string().min(1),
    password: z.string().min(1),
    /** Seconds between session polls. */
    poll: integer(1, 3600).default(10),
    timeoutMs: integer(100, 60_000).default(3000),
    /** The addresses this server's checks come from; default: the address of `url`. */
    callers: z.array(cidr).min(1).optional(),
  })
  .transform((server, ctx) => {
    if (server.callers) return { ...server, callers: server.callers };
    const host = new URL(server.url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['callers'],
        message: `required when url names a host (${host}): the checks are matched by the caller's address`,
      });
      return z.NEVER;
    }
    return { ...server, callers: [host] };
  });

/** The streaming servers whose own API the bridge polls for live sessions. */
export const streamingServers = z.record(nameKey, astra).default({});

export type StreamingServerConfig = z.output<typeof astra>;
