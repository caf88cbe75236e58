import { protoFromPath, type ViewerRequest } from '../viewer.js';
import { sanitizeHeaderValue } from './headerValue.js';
import type { OutboundRequest } from './transport.js';

function withQuery(base: string, query: string): URL {
  const url = new URL(base);
  if (query !== '') url.search = url.search ? `${url.search.slice(1)}&${query}` : query;
  return url;
}

function definedOnly(entries: ReadonlyArray<readonly [string, string | undefined]>): [string, string][] {
  return entries.flatMap(([name, value]) => {
    const clean = sanitizeHeaderValue(value);
    return clean === undefined ? [] : [[name, clean]];
  });
}

/**
 * Cesbo style (Astra/Alta "HTTP Request" backend): the viewer's raw query on
 * the backend URL, the viewer's details in `X-*` headers.
 */
export function cesboStyle(base: string, viewer: ViewerRequest): OutboundRequest {
  const headers = definedOnly([
    ['x-session-id', viewer.session],
    ['x-channel-id', viewer.channel],
    ['x-real-ip', viewer.ip],
    ['x-real-path', viewer.path],
    ['x-real-ua', viewer.userAgent],
    ['x-real-host', viewer.host],
    ['x-real-origin', viewer.origin],
  ]);
  return { url: withQuery(base, viewer.rawQuery), headers: Object.fromEntries(headers) };
}

/**
 * Flussonic auth-backend style: everything in query parameters. Every
 * parameter Flussonic itself sends is present (empty when unknown), as
 * backends written for Flussonic expect; `referer` only when the caller gave one.
 */
export function flussonicStyle(base: string, viewer: ViewerRequest): OutboundRequest {
  const params = new URLSearchParams({
    name: viewer.channel ?? '',
    ip: viewer.ip ?? '',
    token: viewer.token ?? '',
    proto: viewer.proto ?? protoFromPath(viewer.path),
    session_id: viewer.session ?? '',
    request_type: viewer.requestType ?? '',
    request_number: viewer.requestNumber ?? '',
    user_agent: viewer.userAgent ?? '',
    host: viewer.host ?? '',
    qs: viewer.rawQuery,
  });
  if (viewer.referer) params.append('referer', viewer.referer);
  return { url: withQuery(base, params.toString()), headers: {} };
}
