import { z } from 'zod';
import { integer } from './fields.js';

/** `limits.maxBodyBytes` and `limits.bodyTimeoutMs` when the config says nothing. */
export const BODY_LIMIT_DEFAULTS = { maxBodyBytes: 16_384, bodyTimeoutMs: 5000 } as const;

/** Bounds on the bodies POST callers (MediaMTX, SRS, nginx-rtmp) send: larger is a 413, slower a 408. */
export const bodyLimits = {
  maxBodyBytes: integer(256, 1_048_576).default(BODY_LIMIT_DEFAULTS.maxBodyBytes),
  bodyTimeoutMs: integer(100, 60_000).default(BODY_LIMIT_DEFAULTS.bodyTimeoutMs),
};

/**
 * How a route decides a request to publish (or to use a server's API), which
 * is never decided as if it were viewing: `deny` (the default), `allow`, or
 * `check` (the normal decision order, cached apart from viewing).
 */
export const publishSetting = z.enum(['deny', 'allow', 'check']).default('deny');
