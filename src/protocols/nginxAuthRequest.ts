import type { IncomingMessage } from 'node:http';
import { channelFromPath, type ViewerRequest } from '../viewer.js';
import { readableQuery, single } from './query.js';
import { authOf, boundedQuery, headerOf, nonEmpty, queryOfTarget, viewerIp, viewerPath } from './read.js';
import type { RequestProblem } from '../requestProblem.js';
import type { ReadLimits } from './types.js';

/** The header nginx's `auth_request` is told to carry the viewer's request target in. */
export const ORIGINAL_URI = 'x-original-uri';

/**
 * nginx's `auth_request` takes only 2xx (allow) and 401/403 (deny); any other status is its own error,
 * a 500 to the viewer and an error line in its log. A request the viewer made malformed (a token given
 * twice, broken percent-encoding) is denied as 403 instead: the viewer must not raise the operator's
 * 5xx alerts at will. The reason stays in the body and the bridge's log.
 */
export function nginxRefusalStatus(status: RequestProblem['status']): RequestProblem['status'] {
  return status === 400 ? 403 : status;
}

/** A header line naming X-Original-URI, as it starts in a request head's bytes (lower-cased). */
const ORIGINAL_URI_LINE = `\n${ORIGINAL_URI}:`;

/**
 * Whether the bytes of a request head Node's parser refused (`rawPacket` of its error) carry `X-Original-URI`: an
 * nginx `auth_request` subrequest, whose 400 would be nginx's 500 too. nginx passes on a viewer's `User-Agent` with a
 * control byte in it, which Node refuses before the bridge sees any header. Only the bytes of the read that failed are
 * there: a head nginx wrote in two pieces, X-Original-URI in the first, still gets 400 (nginx denies on it).
 */
export function isRawNginxSubrequest(raw: unknown): boolean {
  return Buffer.isBuffer(raw) && raw.toString('latin1').toLowerCase().includes(ORIGINAL_URI_LINE);
}

/**
 * nginx `auth_request` on `/auth`: the subrequest carries the viewer's path
 * and query in `X-Original-URI` (`proxy_set_header X-Original-URI $request_uri`)
 * and, when configured, the viewer's address in `X-Real-IP` and a session in
 * `X-Session-ID`. The subrequest keeps the viewer's own `User-Agent`. It is
 * answered like a Cesbo caller (200 or 403), so it shares Cesbo's path.
 */
export function readOriginalUri(
  req: IncomingMessage,
  originalUri: string,
  caller: string | undefined,
  limits: ReadLimits,
): ViewerRequest {
  const target = originalUri.trim();
  const mark = target.indexOf('?');
  const rawQuery = boundedQuery(queryOfTarget(target), limits.maxQueryBytes);
  const path = viewerPath(nonEmpty(mark === -1 ? target : target.slice(0, mark)), 'X-Original-URI');
  const query = readableQuery(rawQuery);
  return {
    dialect: 'nginx-auth-request',
    caller,
    ip: viewerIp(headerOf(req, 'x-real-ip'), 'X-Real-IP'),
    channel: channelFromPath(path),
    channelId: undefined,
    path,
    session: headerOf(req, 'x-session-id'),
    userAgent: headerOf(req, 'x-real-ua') ?? headerOf(req, 'user-agent'),
    rawQuery,
    token: nonEmpty(single(query, 'token')),
    ...authOf(single(query, 'auth')),
  };
}
