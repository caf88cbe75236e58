/**
 * The one list of parameter names that carry secrets: record files, `probe`,
 * /admin/trace, the config printout and secret environment variables all ask
 * here, so they never disagree on what is secret.
 */

/**
 * Parameter names that carry a secret wherever they appear in a name: tokens,
 * passwords, keys, signatures and digests (nginx secure_link's `md5`, Akamai's
 * `hdnts`/`hdnea`, CloudFront's `Signature`, Nimble's `wmsAuthSign`), JWTs.
 */
const SECRET_IN_NAME = /secret|pass|pwd|token|key|auth|sig|hash|hmac|cred|jwt|md5|hdnts|hdnea/i;
/**
 * Names too short or too common to look for inside others, secret only as
 * the whole name: a PIN, session cookies' ids (`sid`; Flussonic's own
 * `session_id` counts sessions and is kept), secure_link's older `st`. Their
 * neighbours `expires`, `e` and `exp` are times, not secrets, and stay.
 */
const SECRET_NAMES = new Set(['pin', 'otp', 'sid', 'sessid', 'phpsessid', 'jsessionid', 'st']);

/** Whether a query parameter, header, form or JSON field or environment variable is named like one carrying a secret. */
export function isSecretParameterName(name: string): boolean {
  return SECRET_IN_NAME.test(name) || SECRET_NAMES.has(name.toLowerCase());
}
