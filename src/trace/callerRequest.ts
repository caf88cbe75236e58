import type { IncomingMessage } from 'node:http';
import type { Decision } from '../pipeline/types.js';
import { cesboCaller } from '../protocols/cesbo.js';
import { flussonicCaller } from '../protocols/flussonic.js';
import { CALLER_PROTOCOLS } from '../protocols/registry.js';
import type { CallerProtocol } from '../protocols/types.js';
import type { ProtocolName, ViewerRequest } from '../viewer.js';

/** The callers a trace can imitate: those that ask with a query string and headers alone. */
const QUERY_CALLERS = { cesbo: cesboCaller, flussonic: flussonicCaller } as const;

/** A check as a streaming server would send it: its query string and headers. */
export interface CallerRequest {
  readonly dialect: keyof typeof QUERY_CALLERS;
  /** The request's query string, with or without the leading `?`. */
  readonly query: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The viewer a caller's request names, read by the same code that reads
 * checks on the decision listener (so a trace sees what serving would).
 * Bad input throws that code's RequestProblem (400 or 403).
 */
export function viewerOf(request: CallerRequest, maxQueryBytes: number): ViewerRequest {
  const headers = Object.fromEntries(
    Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const query = request.query.replace(/^\?/, '');
  // The protocols read only the request line's URL and the headers of what node:http hands them.
  const asReceived = { url: query === '' ? '/' : `/?${query}`, headers } as IncomingMessage;
  return QUERY_CALLERS[request.dialect].read(asReceived, undefined, {
    maxQueryBytes,
    maxBodyBytes: 0,
    bodyTimeoutMs: 0,
  });
}

const BY_NAME = new Map<ProtocolName, CallerProtocol>(CALLER_PROTOCOLS.map((protocol) => [protocol.name, protocol]));

/** The headers a caller of `protocol` gets with `decision` (nginx auth_request is answered as Cesbo callers are). */
export function answerHeadersOf(protocol: ProtocolName, decision: Decision): Record<string, string> {
  return (BY_NAME.get(protocol) ?? cesboCaller).answerHeaders(decision);
}
