import { z } from 'zod';
import { integer } from './fields.js';

/** Bounds on the bodies POST callers (MediaMTX, SRS, nginx-rtmp) send: larger is a 413, slower a 408. */
export const bodyLimits = {
  maxBodyBytes: integer(256, 1_048_576).default(16_384),
  bodyTimeoutMs: integer(100, 60_000).default(5000),
};

/**
 * How a route decides a request to publish (or to use a server's API), which
 * is never decided as if it were viewing: `deny` (the default), `allow`, or
 * `check` (the normal decision order, cached apart from viewing).
 */
export const publishSetting = z.enum(['deny', 'allow', 'check']).default('deny');
