import type { MiddlewareAnswer, OutboundRequest } from '../adapters/transport.js';
import { headerToText } from '../headerText.js';
import { isSecretParameterName } from '../secretNames.js';
import { MASK, maskOccurrences } from '../secrets.js';
import { maskNamedSecrets, maskNamedSecretsInQuery, secretValueForms, shownChannel } from '../secretText.js';
import type { ViewerRequest } from '../viewer.js';
import type { TracedRequest } from './types.js';

/** Request headers that carry a credential whatever their value looks like. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie)$/i;

/** Answer headers the bridge reads (see src/adapters/readAnswer.ts). */
const HEADERS_READ = [
  'x-session-name',
  'x-userid',
  'x-location',
  'location',
  'x-authduration',
  'x-max-sessions',
  'x-unique',
];

/** Replaces the secrets a trace knows of wherever they show in a text. */
export type Scrub = (text: string) => string;

/**
 * A scrubber for the viewer's token, `auth=` and password and the given secrets (of the config's environment), in the
 * forms they travel in.
 */
export function scrubberFor(viewer: ViewerRequest, known: readonly string[]): Scrub {
  const values = [viewer.token, viewer.auth, viewer.credentials?.password, ...known].filter(
    (value): value is string => value !== undefined,
  );
  const secrets = secretValueForms(values);
  return (text) => maskOccurrences(text, secrets);
}

/** A text a viewer or a middleware chose (a path, a referer, a header) with its named and known secrets masked. */
export function maskedText(text: string, scrub: Scrub): string {
  return scrub(maskNamedSecrets(text));
}

/**
 * A query string with the values of secret-named parameters (`token`, `auth`,
 * `md5`, `password`, ...) masked, also inside Flussonic's `qs` (the viewer's
 * whole query) and URL values (`referer=`); the rest kept as it was sent.
 */
export function maskQuery(raw: string, scrub: Scrub): string {
  return scrub(maskNamedSecretsInQuery(raw));
}

/** A middleware request as a trace shows it. */
export function maskedRequest(outbound: OutboundRequest & { readonly method?: string }, scrub: Scrub): TracedRequest {
  const mark = outbound.path.indexOf('?');
  const path = mark === -1 ? outbound.path : outbound.path.slice(0, mark);
  const query = mark === -1 ? '' : `?${maskQuery(outbound.path.slice(mark + 1), scrub)}`;
  const headers = Object.fromEntries(
    Object.entries(outbound.headers).map(([name, value]) => [
      name,
      // Sent as UTF-8 bytes, one character per byte: shown as the text they are (a Cyrillic channel name).
      SECRET_HEADER.test(name) || isSecretParameterName(name) ? MASK : maskedText(headerToText(value) ?? '', scrub),
    ]),
  );
  return { method: outbound.method ?? 'GET', url: `${outbound.origin}${scrub(path)}${query}`, headers };
}

/**
 * The answer headers the bridge reads, as received (a redirect can quote the viewer's token, or hand out one of its
 * own: masked).
 */
export function headersRead(answer: MiddlewareAnswer, scrub: Scrub): Record<string, string> {
  const read: Record<string, string> = {};
  for (const name of HEADERS_READ) {
    const value = answer.headers[name];
    if (value !== undefined) read[name] = maskedText(Array.isArray(value) ? value.join(', ') : value, scrub);
  }
  return read;
}

/** The viewer as read, secrets masked: what a person needs to recognize the check. */
export function maskedViewer(viewer: ViewerRequest, scrub: Scrub): Record<string, string> {
  const shown: Record<string, string | undefined> = {
    ip: viewer.ip,
    channel: shownChannel(viewer.channel, viewer.token),
    path: viewer.path,
    session: viewer.session,
    userAgent: viewer.userAgent,
    host: viewer.host,
    origin: viewer.origin,
    referer: viewer.referer,
    proto: viewer.proto,
    requestType: viewer.requestType,
    token: viewer.token === undefined ? undefined : MASK,
    login: viewer.credentials?.login,
    password: viewer.credentials === undefined ? undefined : MASK,
    query: viewer.rawQuery === '' ? undefined : maskQuery(viewer.rawQuery, scrub),
  };
  return Object.fromEntries(
    Object.entries(shown)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([name, value]) => [name, name === 'token' || name === 'password' ? value : maskedText(value, scrub)]),
  );
}
