import {
  MAX_ANSWER_BYTES,
  TransportError,
  type MiddlewareAnswer,
  type OutboundRequest,
} from '../adapters/transport.js';
import { sha256Hex, type ExpectedValue } from '../replay/expectedValue.js';
import { parseTarget, type Exchange } from '../replay/fixtures.js';
import { isSecretConfigKey, isSecretParameterName } from '../secretNames.js';
import { holdsInAnyCase, MASK, maskOccurrences } from '../secrets.js';
import { maskNamedSecrets, namedSecretsIn, secretValueForms } from '../secretText.js';
import { bodyValues, recordedBody } from './bodyRecord.js';

/**
 * Request parts that carry a secret without being named like one: Flussonic's
 * `qs` (the viewer's whole query, token included) and cookies.
 */
const SECRET_REQUEST_PART = /^(qs|cookie)$/i;

/** Answer headers that can hand out a credential. */
const SECRET_ANSWER_HEADER =
  /^(set-cookie|set-cookie2|authorization|proxy-authorization|www-authenticate|proxy-authenticate)$/i;

/** Connection details and the clock: they say nothing about the decision, and would make every recording unique. */
const VOLATILE_ANSWER_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * Request parts that can carry a secret: the viewer's token and `auth=login:password`,
 * credentials and keys of the middleware itself (all named like secrets), and
 * SECRET_REQUEST_PART. Masking too much only costs readability: a masked value
 * still matches exactly on replay.
 */
function isSecretPart(name: string): boolean {
  return isSecretParameterName(name) || SECRET_REQUEST_PART.test(name);
}

/**
 * A secret with, for `login:password` (an `auth=`, a URL's user info), its password on its own: either can reappear
 * alone.
 */
function withPassword(value: string): string[] {
  const password = value.includes(':') ? value.slice(value.indexOf(':') + 1) : undefined;
  return password ? [value, password] : [value];
}

/** Answer headers that carry a URL (a redirect): a credential in them can be one the middleware issued itself. */
const URL_ANSWER_HEADER = /^(x-)?location$/i;

/** How a failed exchange is replayed so that the bridge sees the same kind of failure; undefined: nothing to replay. */
function failureResponse(error: TransportError): Exchange['response'] | undefined {
  switch (error.kind) {
    case 'timeout':
      return { hang: true };
    case 'reset':
      return { reset: true };
    case 'too-large':
      return { status: 200, bodyBytes: MAX_ANSWER_BYTES + 1 };
    case 'unparseable':
      return { raw: 'not an HTTP answer\r\n\r\n' };
    case 'bad-answer':
      // A head the bridge refuses before parsing it (see adapters/answerHead.ts): ambiguous framing will do.
      return { raw: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n' };
    default:
      // Refused and network failures had no middleware answering; a cancelled check has no answer at all.
      return undefined;
  }
}

/** A short word for a recording's file name: the status, or what went wrong. */
export function outcomeLabel(outcome: MiddlewareAnswer | TransportError): string {
  return outcome instanceof TransportError ? outcome.kind : String(outcome.status);
}

/**
 * One middleware exchange in the fixture format, with secrets masked: request
 * values as `{"sha256": ...}` (replay still tells a good token from a bad
 * one), answer values as `***`. `knownSecrets` (values of secret environment
 * variables the config used) are masked wherever they show, the URL path
 * included. Undefined when there is nothing to replay.
 */
export function recordedExchange(
  outbound: OutboundRequest,
  outcome: MiddlewareAnswer | TransportError,
  knownSecrets: readonly string[] = [],
): Exchange | undefined {
  const failure = outcome instanceof TransportError ? failureResponse(outcome) : undefined;
  if (outcome instanceof TransportError && !failure) return undefined;

  // Split and decoded as the replay server will read it.
  const { path, query: queryEntries } = parseTarget(outbound.path);
  const headerEntries = Object.entries(outbound.headers);
  const contentType = outbound.headers['content-type'];
  const values: Array<readonly [string, string]> = [
    ...queryEntries.flatMap(([name, values]) => values.map((value) => [name, value] as const)),
    ...headerEntries,
    ...bodyValues(outbound.body ?? '', contentType),
  ];
  // In the forms they can reappear in elsewhere (inside `qs`, a redirect URL, a body).
  const secrets = secretValueForms(
    [
      ...values.filter(([name]) => isSecretPart(name)).map(([, value]) => value),
      // Inside URL-valued parts (X-Real-Path's query, a referer's token, X-Real-Origin's password).
      ...values.flatMap(([, value]) => namedSecretsIn(value)),
      ...knownSecrets,
    ].flatMap(withPassword),
  );
  const holdsSecret = (text: string) =>
    secrets.some((secret) => holdsInAnyCase(text, secret)) || namedSecretsIn(text).length > 0;
  const scrub = (text: string) => maskOccurrences(text, secrets);
  const expect = ([name, value]: [string, string]): [string, ExpectedValue] =>
    isSecretPart(name) || holdsSecret(value) ? [name, { sha256: sha256Hex(value) }] : [name, value];

  const expectQuery = (name: string, values: string[]): [string, ExpectedValue | ExpectedValue[]] => {
    const expected = values.map((value) => expect([name, value])[1]);
    return [name, expected.length === 1 ? expected[0]! : expected];
  };
  const request: Exchange['request'] = {
    method: outbound.method ?? 'GET',
    path: holdsSecret(path) ? { sha256: sha256Hex(path) } : path,
    ...(queryEntries.length > 0
      ? { query: Object.fromEntries(queryEntries.map(([name, values]) => expectQuery(name, values))) }
      : {}),
    ...(headerEntries.length > 0 ? { headers: Object.fromEntries(headerEntries.map(expect)) } : {}),
    ...(outbound.body !== undefined
      ? { body: recordedBody(outbound.body, contentType, (name, value) => expect([name, value])[1], holdsSecret) }
      : {}),
  };
  if (failure) return { request, response: failure };

  const answer = outcome as MiddlewareAnswer;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined || VOLATILE_ANSWER_HEADERS.has(name.toLowerCase())) continue;
    // The narrow list: the wide one would mask X-AuthDuration, a decision's detail.
    const secret = SECRET_ANSWER_HEADER.test(name) || isSecretConfigKey(name);
    const recorded = (text: string) =>
      secret ? MASK : URL_ANSWER_HEADER.test(name) ? maskNamedSecrets(scrub(text)) : scrub(text);
    // A header sent twice is recorded twice (a list), not joined: the bridge reads the first of them, not "5, 99999".
    headers[name] = Array.isArray(value) ? value.map(recorded) : recorded(value);
  }
  const body = scrub(answer.body.toString('utf8'));
  return {
    request,
    response: {
      status: answer.status,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(body !== '' ? { body } : {}),
    },
  };
}
