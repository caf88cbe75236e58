import type { OutboundRequest } from '../adapters/transport.js';
import { textToHeader } from '../headerText.js';

/**
 * The backend URL with a query appended after any query it already has. The
 * query is kept byte for byte (a middleware may sign it); only bytes a
 * request line cannot carry are percent-encoded.
 */
export function withQuery(url: URL, query: string): Pick<OutboundRequest, 'origin' | 'path'> {
  const safe = query.replace(/[^\x21-\x7e]+/g, (run) => encodeURIComponent(run)).replace(/#/g, '%23');
  const separator = url.search === '' ? '?' : '&';
  return { origin: url.origin, path: `${url.pathname}${url.search}${safe === '' ? '' : separator + safe}` };
}

/** Request headers from text, the unknown ones left out, every value cleaned for the wire. */
export function headersOf(entries: ReadonlyArray<readonly [string, string | undefined]>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, text] of entries) {
    const value = textToHeader(text);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}
