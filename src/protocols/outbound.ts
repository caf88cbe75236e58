import type { OutboundRequest } from '../adapters/transport.js';
import { boundedMemo } from '../memo.js';

/** Bytes a request line cannot carry as they are (and `#`, which would end the path): none in nearly every query. */
const NEEDS_ENCODING = /[^\x21\x22\x24-\x7e]/;

/** A backend URL's origin and the path a query is appended to, with its separator. */
interface Target {
  readonly origin: string;
  readonly path: string;
  readonly separator: '?' | '&';
}

/**
 * A backend's URL is the same on every miss: its parts are read once per URL text (the URL
 * getters build new strings on every call). Bounded: URLs come from the config.
 */
const targetOf = boundedMemo((href): Target => {
  const url = new URL(href);
  return { origin: url.origin, path: `${url.pathname}${url.search}`, separator: url.search === '' ? '?' : '&' };
}, 64);

/**
 * The backend URL with a query appended after any query it already has. The
 * query is kept byte for byte (a middleware may sign it); only bytes a
 * request line cannot carry are percent-encoded.
 */
export function withQuery(url: URL, query: string): Pick<OutboundRequest, 'origin' | 'path'> {
  const safe = NEEDS_ENCODING.test(query)
    ? query.replace(/[^\x21-\x7e]+/g, (run) => encodeURIComponent(run)).replace(/#/g, '%23')
    : query;
  const { origin, path, separator } = targetOf(url.href);
  return { origin, path: safe === '' ? path : `${path}${separator}${safe}` };
}
