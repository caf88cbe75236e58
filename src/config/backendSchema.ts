import { z } from 'zod';
import { flag, httpUrl, integer } from './fields.js';

const bodyRule = z.strictObject({
  format: z.enum(['json', 'xml']),
  path: z.string().min(1),
  allow: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
});

/** After `failures` failed checks in a row the backend is skipped for `cooldown` seconds, then probed again. */
const breaker = z.strictObject({
  failures: integer(0, 1000).default(5),
  cooldown: integer(1, 3600).default(10),
});

function backendFields(bindTokenToIp: boolean) {
  return {
    url: httpUrl,
    timeoutMs: integer(1, 600_000).default(2000),
    body: bodyRule.optional(),
    breaker: breaker.prefault({}),
    /** A token this backend allowed for one IP is denied from any other IP while the binding lives. */
    bindTokenToIp: flag.default(bindTokenToIp),
  };
}

/** What a Flussonic-style backend's 3xx means: `deny` with its redirect, or `allow` as old Flussonic granted on 302. */
const redirect = { redirect: z.enum(['deny', 'allow']).default('deny') };

export const backendSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('http'), ...backendFields(false) }),
    z.strictObject({ type: z.literal('flussonic'), ...backendFields(false), ...redirect }),
    z.strictObject({
      type: z.literal('ministra'),
      ...backendFields(true),
      ...redirect,
      /** Replaces the portal's `X-Max-Sessions`, which Ministra fills from an unrelated PVR setting. */
      maxSessions: integer(1, 10_000).optional(),
    }),
    z
      .strictObject({
        type: z.literal('iptvportal'),
        ...backendFields(false),
        /** `cesbo`: `<base>/auth/arescrypt/`; `flussonic`: `<base>/auth/flussonic/arescrypt/`. */
        protocol: z.enum(['cesbo', 'flussonic']).default('cesbo'),
        ...redirect,
      })
      .refine((backend) => backend.redirect === 'deny' || backend.protocol === 'flussonic', {
        message: 'redirect: allow applies to protocol: flussonic only (a Cesbo-style check denies on a redirect)',
        path: ['redirect'],
      }),
    z.strictObject({ type: z.literal('smarty'), ...backendFields(false), ...redirect }),
  ],
  { error: 'expected one of http|flussonic|ministra|iptvportal|smarty' },
);

export type BackendConfig = z.output<typeof backendSchema>;
export type BackendType = BackendConfig['type'];
export type BodyRule = z.output<typeof bodyRule>;
export type BreakerConfig = z.output<typeof breaker>;
