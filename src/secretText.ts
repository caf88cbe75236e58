/**
 * Finding secrets inside text, for everything that writes a viewer's request
 * down (the record files, `probe`, /admin/trace): by the name of the parameter
 * that carries them, inside queries and URLs, and by their known value. One
 * list of names, so that the three never disagree on what is secret.
 */

import { isSecretParameterName } from './secretNames.js';
import { MASK, maskExactly, withUrlEncoded } from './secrets.js';

/** Shorter values are not looked for inside other text: a two-digit PIN would mask every such pair of digits. */
const MIN_SCRUBBED_LENGTH = 4;

/**
 * The known secret values in the forms they show in text (as given and
 * URL-encoded), too short ones left out, longest first so that a secret
 * containing another is masked whole.
 */
export function secretValueForms(values: readonly string[]): string[] {
  const forms = new Set(withUrlEncoded(values));
  return [...forms].filter((form) => form.length >= MIN_SCRUBBED_LENGTH).sort((a, b) => b.length - a.length);
}

/** Given a secret as it stands in the text and decoded; returns what stands there instead. */
type Replace = (raw: string, clear: string) => string;

/** `scheme://user:password@` at the start of an absolute URL. */
const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i;
/** Text that is itself a query (Flussonic's `qs`, a form): a name, then `=`. */
const QUERY_LIKE = /^[^\s/?#=]*=/;
/** A decoded value that can hold a query or user info of its own (a referer, a page URL, `qs`). */
const NESTED = /[=@]/;
/** Hostile nesting (a URL in a URL in a URL...) is followed no deeper than this. */
const MAX_DEPTH = 8;

function decoded(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/** A query string with secret-named values replaced, nested URL values looked into; the rest byte for byte as sent. */
function rewriteQuery(raw: string, replace: Replace, depth: number): string {
  return raw
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      const name = pair.slice(0, eq);
      const rawValue = pair.slice(eq + 1);
      if (isSecretParameterName(decoded(name))) return `${name}=${replace(rawValue, decoded(rawValue))}`;
      const value = decoded(rawValue);
      if (depth >= MAX_DEPTH || !NESTED.test(value)) return pair;
      const rewritten = rewriteText(value, replace, depth + 1);
      return rewritten === value ? pair : `${name}=${encodeURIComponent(rewritten)}`;
    })
    .join('&');
}

/**
 * A URL (absolute or a path), or a query, with its user info and secret-named parameters (query and fragment) replaced.
 */
function rewriteText(text: string, replace: Replace, depth: number): string {
  const userInfo = USER_INFO.exec(text);
  const head = userInfo ? `${userInfo[1]}${replace(userInfo[2]!, decoded(userInfo[2]!))}@` : '';
  const rest = userInfo ? text.slice(userInfo[0].length) : text;
  const hashAt = rest.indexOf('#');
  const beforeHash = hashAt === -1 ? rest : rest.slice(0, hashAt);
  // `#access_token=...`: a page URL can carry a token in its fragment.
  const fragment = hashAt === -1 ? '' : rest.slice(hashAt + 1);
  const queryAt = beforeHash.indexOf('?');
  const main =
    queryAt !== -1
      ? `${beforeHash.slice(0, queryAt + 1)}${rewriteQuery(beforeHash.slice(queryAt + 1), replace, depth)}`
      : !userInfo && QUERY_LIKE.test(beforeHash)
        ? rewriteQuery(beforeHash, replace, depth)
        : beforeHash;
  const tail = QUERY_LIKE.test(fragment) ? rewriteQuery(fragment, replace, depth) : fragment;
  return `${head}${main}${hashAt === -1 ? '' : `#${tail}`}`;
}

/**
 * A URL, path or query with the secrets it carries by name masked: user info
 * (`http://***@host`), secret-named parameters (`md5=***`), also inside a URL
 * or query that is itself a parameter's value (`referer=`, `qs=`). Everything
 * else stays byte for byte as it was.
 */
export function maskNamedSecrets(text: string): string {
  return rewriteText(text, () => MASK, 0);
}

/** User info at the start of a channel without a scheme: `//user:password@host/a001`, `user:password@a001`. */
const SCHEMELESS_USER_INFO = /^((?:\/\/)?)([^/?#@:]*:[^/?#@]*)@/;
/** A path parameter (`index.m3u8;jsessionid=...`, as servlet containers append a session id). */
const PATH_PARAMETER = /;([^;=/?#]*)=([^;/?#]*)/g;

/** A channel's secrets by name: as any URL's, and also in user info without a scheme and in `;name=value` parameters. */
function maskChannelSecrets(channel: string): string {
  const userInfo = SCHEMELESS_USER_INFO.exec(channel);
  const withoutUserInfo = userInfo ? `${userInfo[1]}${MASK}@${channel.slice(userInfo[0].length)}` : channel;
  const withoutParameters = withoutUserInfo.includes(';')
    ? withoutUserInfo.replace(PATH_PARAMETER, (whole, name: string) =>
        isSecretParameterName(decoded(name)) ? `;${name}=${MASK}` : whole,
      )
    : withoutUserInfo;
  return maskNamedSecrets(withoutParameters);
}

/**
 * A channel as logged and kept with a session: a channel or stream name is the viewer's to choose, and one that
 * carries a query (`a001?token=...`, a stream name sent with its query folded in) has its secrets masked, as has the
 * viewer's own token wherever it stands in it (a link layout that puts the token where the channel goes:
 * `/<token>/index.m3u8`, a Flussonic `name`). Most names hold neither `=` nor `@` nor the token, and are handed back
 * as they are, without a scan.
 */
export function shownChannel(channel: string | undefined, token?: string): string | undefined {
  if (channel === undefined) return channel;
  const shown = !channel.includes('=') && !channel.includes('@') ? channel : maskChannelSecrets(channel);
  if (token === undefined || token === '' || !shown.includes(token)) return shown;
  // A short token is masked only where it is the whole channel: inside other text it would mask every such pair of digits.
  if (token.length < MIN_SCRUBBED_LENGTH) return shown === token ? MASK : shown;
  return maskExactly(shown, [token]);
}

/** The same, for a query string without its `?`. */
export function maskNamedSecretsInQuery(raw: string): string {
  return rewriteQuery(raw, () => MASK, 0);
}

/** The clear values maskNamedSecrets would mask, as they stand in the text and decoded (empty ones left out). */
export function namedSecretsIn(text: string): string[] {
  const found = new Set<string>();
  rewriteText(
    text,
    (raw, clear) => {
      for (const form of [raw, clear]) if (form !== '') found.add(form);
      return raw;
    },
    0,
  );
  return [...found];
}
