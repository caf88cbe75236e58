import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { processIp } from '../ipRanges.js';
import { headerToText } from '../headerText.js';
import { boundedMemo } from '../memo.js';
import { RequestProblem } from '../requestProblem.js';
import type { ViewerRequest } from '../viewer.js';

/** Ranges whose addresses no viewer can have: a caller that sends one is confused or forging. */
const NO_VIEWER_HAS = new Set(['unspecified', 'broadcast', 'multicast']);

/** The canonical form of an address, or why it cannot be a viewer's. */
type ReadAddress =
  | { readonly ip: string }
  | { readonly problem: 'not an IP address' | 'not an address a viewer can have' };

function readAddress(value: string): ReadAddress {
  const text = value.trim();
  if (isIP(text) === 0) return { problem: 'not an IP address' };
  const address = processIp(text.split('%')[0]!);
  if (NO_VIEWER_HAS.has(address.range())) return { problem: 'not an address a viewer can have' };
  return { ip: address.toString() };
}

/** Viewers come back again and again: what their addresses read as is remembered. */
const rememberedAddress = boundedMemo(readAddress, 10_000);

/**
 * Canonical viewer IP. A value that is no address is a 403 (a viewer whose
 * address cannot be read is not let in); an address no viewer has (0.0.0.0,
 * ::, 255.255.255.255, multicast) is bad input, 400. Neither asks a backend.
 */
export function viewerIp(value: string | undefined, source: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const read = rememberedAddress(value);
  if ('ip' in read) return read.ip;
  throw new RequestProblem(read.problem === 'not an IP address' ? 403 : 400, `${source} is ${read.problem}`);
}

/**
 * A dot segment (`.`, `..`, or either percent-encoded) or an encoded slash, backslash, `?`, `#` or
 * NUL in the path part of a target. The streaming server decodes and resolves these before it
 * serves, so `/hls/b002/a001/..%2Findex.m3u8` names channel a001 to the bridge and serves b002, and
 * `/hls/b002/index.m3u8%3F/a001/index.m3u8` names a001 and asks for a file in b002.
 */
const RESOLVED_ELSEWHERE = /%2f|%5c|%00|%3f|%23|(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/**
 * The viewer's path as the caller sent it; refused (403) when the streaming server would serve
 * another file than the one it seems to name: no player sends such a path, only someone
 * reaching for another channel.
 */
export function viewerPath(value: string | undefined, source: string): string | undefined {
  if (value === undefined) return value;
  if (!value.includes('%') && !value.includes('/.') && !value.startsWith('.')) return value;
  const queryAt = value.search(/[?#]/);
  if (!RESOLVED_ELSEWHERE.test(queryAt === -1 ? value : value.slice(0, queryAt))) return value;
  throw new RequestProblem(
    403,
    `${source} has a dot segment or an encoded slash, backslash, ?, # or NUL: the file served is not the one named`,
  );
}

/** `auth=login:password`; anything without a colon and a login is no credentials at all. */
function credentialsFrom(auth: string | undefined): { login: string; password: string } | undefined {
  const colon = auth?.indexOf(':') ?? -1;
  if (auth === undefined || colon < 1) return undefined;
  return { login: auth.slice(0, colon), password: auth.slice(colon + 1) };
}

/** The viewer's `auth=` as given and, when it is `login:password`, as credentials. */
export function authOf(auth: string | undefined): Pick<ViewerRequest, 'auth' | 'credentials'> {
  if (auth === undefined || auth === '') return {};
  return { auth, credentials: credentialsFrom(auth) };
}

/** A query string, refused when larger than the configured bound. */
export function boundedQuery(raw: string, maxQueryBytes: number): string {
  if (raw.length > maxQueryBytes) throw new RequestProblem(400, `query string longer than ${maxQueryBytes} bytes`);
  return raw;
}

/** What follows the first `?` of a request target ('' without one). */
export function queryOfTarget(target: string): string {
  const mark = target.indexOf('?');
  return mark === -1 ? '' : target.slice(mark + 1);
}

/** The raw query string of a request, refused when larger than the configured bound. */
export function rawQueryOf(req: IncomingMessage, maxQueryBytes: number): string {
  return boundedQuery(queryOfTarget(req.url ?? ''), maxQueryBytes);
}

/** Whether the request carries header `name` (lower case) more than once. */
function repeated(req: IncomingMessage, name: string): boolean {
  // A request built by a trace has no raw headers: one value each.
  const raw = req.rawHeaders ?? [];
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const given = raw[i]!;
    if (given.length === name.length && given.toLowerCase() === name && ++seen > 1) return true;
  }
  return false;
}

/**
 * A request header as it came. Node joins a repeated custom header's values with ", ", which would
 * read as one made-up value (two X-Original-URI paths as one, two session ids as "1, 2"): a header
 * the viewer is read from, given twice, is refused (400), as a query parameter given twice is.
 */
export function singleHeader(req: IncomingMessage, name: string): string | undefined {
  return givenOnce(req, name, req.headers[name]);
}

/**
 * `singleHeader` of the value `req.headers[name]` gave. A reader that reads a few headers takes
 * `req.headers` once and each header at a load of its own: one load site for every name, as
 * `singleHeader`'s is, looks each name up the generic way.
 */
export function givenOnce(
  req: IncomingMessage,
  name: string,
  value: string | string[] | undefined,
): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Only a joined value holds ", ": the raw headers are counted for those alone.
  if (value.includes(', ') && repeated(req, name))
    throw new RequestProblem(400, `the ${name} header is given more than once`);
  return value;
}

/** A request header the viewer is read from, as text; refused when given twice. */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  return headerText(req, name, req.headers[name]);
}

/** `headerOf` of the value `req.headers[name]` gave (see `givenOnce`). */
export function headerText(
  req: IncomingMessage,
  name: string,
  value: string | string[] | undefined,
): string | undefined {
  const given = givenOnce(req, name, value);
  return given === undefined ? undefined : headerToText(given);
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
