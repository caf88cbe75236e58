/**
 * The two lists of names that carry secrets, so that no module keeps a third:
 * - `isSecretParameterName`, the wide list, for names other programs choose: the
 *   viewer's query, the headers, forms and JSON fields sent to middlewares, URL
 *   parameters inside config values, environment variables. Record files, `probe`,
 *   /admin/trace and the config printout's URLs all ask it.
 * - `isSecretConfigKey`, the narrow list, for names the bridge itself chose: its
 *   config keys (and the answer headers `serve --record` writes, where the
 *   bridge's own `X-AuthDuration` must stay readable).
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
 * `session_id` counts sessions and is kept), secure_link's older `st`, the
 * one- and two-letter tokens and keys of signed links (`t`, `k`, `tk`),
 * tickets and codes, Nimble's `nimblesessionid`. Their neighbours `expires`,
 * `e` and `exp` are times, not secrets, and stay.
 */
const SECRET_NAMES = new Set([
  'pin',
  'otp',
  'sid',
  'sessid',
  'phpsessid',
  'jsessionid',
  'st',
  't',
  'k',
  'tk',
  'ticket',
  'code',
  'nimblesessionid',
]);

/**
 * Whether a query parameter, header, form or JSON field or environment variable is named like one carrying a secret.
 */
export function isSecretParameterName(name: string): boolean {
  return SECRET_IN_NAME.test(name) || SECRET_NAMES.has(name.toLowerCase());
}

/**
 * Secret words in the config's own keys. Narrower than SECRET_IN_NAME on purpose:
 * there `key`, `hash`, `auth` and `sig` are secret inside any name, but the config
 * uses them for settings that are not (`cache.key`, `securetoken.hash: path`),
 * and `check-config` must print those (tested in test/config/schema.test.ts).
 */
const SECRET_CONFIG_KEY = /secret|passw|token|api_?key|signature/i;

/** Whether a config key (or a middleware's answer header) names a secret value. */
export function isSecretConfigKey(name: string): boolean {
  return SECRET_CONFIG_KEY.test(name);
}
