import { textToHeader } from '../headerText.js';
import { protoFromPath, type ViewerRequest } from '../viewer.js';
import type { OutboundRequest } from './transport.js';

/**
 * The backend URL with a query appended after any query it already has. The
 * query is kept byte for byte (a middleware may sign it); only bytes a
 * request line cannot carry are percent-encoded.
 */
function withQuery(url: URL, query: string): Pick<OutboundRequest, 'origin' | 'path'> {
  const safe = query.replace(/[^\x21-\x7e]+/g, (run) => encodeURIComponent(run)).replace(/#/g, '%23');
  const separator = url.search === '' ? '?' : '&';
  return { origin: url.origin, path: `${url.pathname}${url.search}${safe === '' ? '' : separator + safe}` };
}

function headersOf(entries: ReadonlyArray<readonly [string, string | undefined]>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, text] of entries) {
    const value = textToHeader(text);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

/**
 * Cesbo style (Astra/Alta "HTTP Request" backend): the viewer's raw query on
 * the backend URL, the viewer's details in `X-*` headers.
 */
export function cesboStyle(base: URL, viewer: ViewerRequest): OutboundRequest {
  const headers = headersOf([
    ['x-session-id', viewer.session],
    ['x-channel-id', viewer.channel],
    ['x-real-ip', viewer.ip],
    ['x-real-path', viewer.path],
    ['x-real-ua', viewer.userAgent],
    ['x-real-host', viewer.host],
    ['x-real-origin', viewer.origin],
  ]);
  return { ...withQuery(base, viewer.rawQuery), headers };
}

function hostOf(origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/**
 * Flussonic auth-backend style: everything in query parameters. Every
 * parameter Flussonic itself sends is present (empty when unknown), as
 * backends written for Flussonic expect; `referer` only when the caller gave
 * one, then any `extra` parameters a middleware's adapter adds.
 */
export function flussonicStyle(base: URL, viewer: ViewerRequest, extra: Readonly<Record<string, string>> = {}): OutboundRequest {
  const params = new URLSearchParams({
    name: viewer.channel ?? '',
    ip: viewer.ip ?? '',
    token: viewer.token ?? '',
    proto: viewer.proto ?? protoFromPath(viewer.path),
    session_id: viewer.session ?? '',
    request_type: viewer.requestType ?? '',
    request_number: viewer.requestNumber ?? '',
    user_agent: viewer.userAgent ?? '',
    // Alta sends no host, only the origin it came from.
    host: viewer.host ?? hostOf(viewer.origin) ?? '',
    qs: viewer.rawQuery,
  });
  if (viewer.referer) params.append('referer', viewer.referer);
  for (const [name, value] of Object.entries(extra)) params.append(name, value);
  return { ...withQuery(base, params.toString()), headers: {} };
}

/**
 * A middleware's endpoint under the base URL an operator configured, keeping
 * its path prefix, query and credentials. A base that already ends in one of
 * the middleware's endpoints (pasted from a streaming server's manual) counts
 * as the base without it, so the configured protocol still picks the endpoint.
 */
export function endpointUnder(base: string, endpoint: string, knownEndpoints: readonly string[] = [endpoint]): string {
  const url = new URL(base);
  let prefix = url.pathname.replace(/\/+$/, '');
  const pasted = knownEndpoints.map((known) => known.replace(/\/+$/, '')).find((known) => prefix.endsWith(known));
  if (pasted !== undefined) prefix = prefix.slice(0, -pasted.length);
  url.pathname = `${prefix}${endpoint}`;
  return url.href;
}
