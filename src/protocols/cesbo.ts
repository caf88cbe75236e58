import type { OutboundRequest } from '../adapters/transport.js';
import { channelFromPath, type ViewerRequest } from '../viewer.js';
import { nginxRefusalStatus, ORIGINAL_URI, readOriginalUri } from './nginxAuthRequest.js';
import { withQuery } from './outbound.js';
import { readableQuery, single } from './query.js';
import { authOf, givenOnce, headerText, nonEmpty, rawQueryOf, viewerIp, viewerPath } from './read.js';
import { decisionHeaders, PLAIN_TEXT, setText, type CallerProtocol } from './types.js';

/**
 * The Cesbo "HTTP Request" protocol (Astra and Alta): the viewer's own query
 * string, the viewer's details in headers. Astra sends X-Channel-ID and
 * X-Real-Host, Alta sends X-Real-Origin and no channel id.
 */
const HEADER = {
  session: 'x-session-id',
  channelId: 'x-channel-id',
  ip: 'x-real-ip',
  path: 'x-real-path',
  userAgent: 'x-real-ua',
  host: 'x-real-host',
  origin: 'x-real-origin',
} as const;

/** Astra or Alta asking the bridge (or, with X-Original-URI, nginx's auth_request on the same path). */
export const cesboCaller: CallerProtocol = {
  name: 'cesbo',
  prefix: '/auth',
  methods: ['GET', 'HEAD'],

  // Every header at a load of its own (see givenOnce).
  read(req, caller, limits): ViewerRequest {
    const { headers } = req;
    const originalUri = givenOnce(req, ORIGINAL_URI, headers[ORIGINAL_URI]);
    if (originalUri !== undefined) return readOriginalUri(req, originalUri, caller, limits);
    const rawQuery = rawQueryOf(req, limits.maxQueryBytes);
    const query = readableQuery(rawQuery);
    const path = viewerPath(headerText(req, HEADER.path, headers[HEADER.path]), 'X-Real-Path');
    const channelId = headerText(req, HEADER.channelId, headers[HEADER.channelId]);
    return {
      dialect: 'cesbo',
      caller,
      ip: viewerIp(headerText(req, HEADER.ip, headers[HEADER.ip]), 'X-Real-IP'),
      channel: channelId ?? channelFromPath(path),
      channelId,
      path,
      session: headerText(req, HEADER.session, headers[HEADER.session]),
      userAgent: headerText(req, HEADER.userAgent, headers[HEADER.userAgent]),
      host: headerText(req, HEADER.host, headers[HEADER.host]),
      origin: headerText(req, HEADER.origin, headers[HEADER.origin]),
      rawQuery,
      token: nonEmpty(single(query, 'token')),
      ...authOf(single(query, 'auth')),
    };
  },

  dialectOf: (req) => (req.headers[ORIGINAL_URI] === undefined ? 'cesbo' : 'nginx-auth-request'),
  refusedAs: (dialect, status) => (dialect === 'nginx-auth-request' ? nginxRefusalStatus(status) : status),

  answerHeaders: decisionHeaders,
  answerText: PLAIN_TEXT,
};

/**
 * A check as Astra would send it to its own HTTP backend (the bridge asking a
 * Cesbo-style middleware): the viewer's raw query on the backend URL, the
 * viewer's details in headers. X-Channel-ID only when the caller sent a
 * channel id: Alta never does, and a backend must not see one it did not.
 */
export function askCesbo(base: URL, viewer: ViewerRequest): OutboundRequest {
  const headers: Record<string, string> = {};
  setText(headers, HEADER.session, viewer.session);
  setText(headers, HEADER.channelId, viewer.channelId);
  setText(headers, HEADER.ip, viewer.ip);
  setText(headers, HEADER.path, viewer.path);
  setText(headers, HEADER.userAgent, viewer.userAgent);
  setText(headers, HEADER.host, viewer.host);
  setText(headers, HEADER.origin, viewer.origin);
  const { origin, path } = withQuery(base, viewer.rawQuery);
  return { origin, path, method: 'GET', headers };
}
