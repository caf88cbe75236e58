import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * What a fixture expects of one query parameter or request header: the value
 * itself, or (for tokens and passwords, which must not be stored in clear) the
 * SHA-256 of the value in hex.
 */
export type ExpectedValue = string | { readonly sha256: string };

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function valueMatches(expected: ExpectedValue, received: string): boolean {
  return typeof expected === 'string' ? expected === received : expected.sha256 === sha256Hex(received);
}

export const hashed = z.strictObject({
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (the SHA-256 of the value)')
    .transform((hex) => hex.toLowerCase()),
});

export const expectedValue = z.union([z.string(), hashed], {
  error: 'expected a string or {"sha256": "<64 hex digits>"}',
});
