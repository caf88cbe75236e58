import { isIP } from 'node:net';
import { canonicalIp } from '../../ipRanges.js';
import { boundedMemo } from '../../memo.js';
import type { IncomingMessage } from 'node:http';
import { headerToText } from '../../headerText.js';
import type { ViewerRequest } from '../../viewer.js';
import { RequestProblem } from '../problem.js';

/** Viewers come back again and again: their canonical addresses are remembered (undefined: not an address). */
const canonicalViewerIp = boundedMemo((value) => {
  const text = value.trim();
  return isIP(text) === 0 ? undefined : canonicalIp(text);
}, 10_000);

/** Canonical viewer IP, or a 403: a viewer whose address cannot be read is not let in. */
export function viewerIp(value: string | undefined, source: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const canonical = canonicalViewerIp(value);
  if (canonical === undefined) throw new RequestProblem(403, `${source} is not an IP address`);
  return canonical;
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

/** The raw query string of a request, refused when larger than the configured bound. */
export function rawQueryOf(req: IncomingMessage, maxQueryBytes: number): string {
  const url = req.url ?? '';
  const mark = url.indexOf('?');
  const raw = mark === -1 ? '' : url.slice(mark + 1);
  if (raw.length > maxQueryBytes) throw new RequestProblem(400, `query string longer than ${maxQueryBytes} bytes`);
  return raw;
}

/** A request header as text (Node joins repeated custom headers with ", "). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? headerToText(value) : undefined;
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
