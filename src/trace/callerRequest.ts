import type { IncomingMessage } from 'node:http';
import type { Decision } from '../pipeline/types.js';
import { cesboDialect } from '../server/dialects/cesbo.js';
import { flussonicDialect } from '../server/dialects/flussonic.js';
import type { CallerDialect } from '../server/dialects/types.js';
import type { ViewerRequest } from '../viewer.js';

/** A check as a streaming server would send it: its query string and headers. */
export interface CallerRequest {
  readonly dialect: ViewerRequest['dialect'];
  /** The request's query string, with or without the leading `?`. */
  readonly query: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const DIALECTS: Readonly<Record<ViewerRequest['dialect'], CallerDialect>> = { cesbo: cesboDialect, flussonic: flussonicDialect };

/**
 * The viewer a caller's request names, read by the same code that reads
 * checks on the decision listener (so a trace sees what serving would).
 * Bad input throws that code's RequestProblem (400 or 403).
 */
export function viewerOf(request: CallerRequest, maxQueryBytes: number): ViewerRequest {
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const query = request.query.replace(/^\?/, '');
  // The dialects read only the request line's URL and the headers of what node:http hands them.
  const asReceived = { url: query === '' ? '/' : `/?${query}`, headers } as IncomingMessage;
  return DIALECTS[request.dialect].readViewer(asReceived, maxQueryBytes);
}

/** The headers a caller of `dialect` gets with `decision`. */
export function answerHeadersOf(dialect: ViewerRequest['dialect'], decision: Decision): Record<string, string> {
  return DIALECTS[dialect].answerHeaders(decision);
}
