import type { OutboundRequest } from '../adapters/transport.js';
import { RequestProblem } from '../requestProblem.js';
import { protoFromPath, type ViewerRequest } from '../viewer.js';
import { withQuery } from './outbound.js';
import { parseQuery, single } from './query.js';
import { authOf, nonEmpty, rawQueryOf, viewerIp } from './read.js';
import { SessionNumbers } from './sessionNumbers.js';
import { decisionHeaders, PLAIN_TEXT, setText, type CallerProtocol, type WireDecision } from './types.js';

/**
 * The Flussonic auth-backend protocol (Flussonic, Nimble-style servers, Astra
 * forks): everything in query parameters, the viewer's own query in `qs`;
 * the answer carries how long it holds and who the viewer is.
 */
const PARAM = {
  channel: 'name',
  ip: 'ip',
  token: 'token',
  proto: 'proto',
  session: 'session_id',
  requestType: 'request_type',
  requestNumber: 'request_number',
  userAgent: 'user_agent',
  host: 'host',
  viewerQuery: 'qs',
  referer: 'referer',
} as const;

/** The parameters the bridge writes itself; every other parameter a Flussonic caller sent passes through. */
const SET_BY_THE_BRIDGE: ReadonlySet<string> = new Set(Object.values(PARAM));

/** Flussonic reads X-UserId as an integer: anything else would break it. */
const WHOLE_NUMBER = /^\d{1,18}$/;

/** Flussonic, or a server speaking its protocol, asking the bridge. */
export const flussonicCaller: CallerProtocol = {
  name: 'flussonic',
  prefix: '/flussonic',
  methods: ['GET', 'HEAD'],

  read(req, caller, limits): ViewerRequest {
    const query = parseQuery(rawQueryOf(req, limits.maxQueryBytes));
    const param = (name: string) => nonEmpty(single(query, name));
    const qs = param(PARAM.viewerQuery);
    const viewer = qs === undefined ? undefined : parseQuery(qs);
    // '' when qs names the token empty: still a token of the viewer's query, which Cesbo-style backends read.
    const qsTokenGiven = viewer && single(viewer, 'token');
    const qsToken = nonEmpty(qsTokenGiven);
    const token = param(PARAM.token) ?? qsToken;
    // Cesbo-style backends read the token from the viewer's query: the two must not tell different stories (an empty
    // one in qs beside token=X would reach them as `token=&token=X`, read one way or the other by each middleware).
    if (qsTokenGiven !== undefined && token !== undefined && token !== qsTokenGiven)
      throw new RequestProblem(400, 'token and the token in qs differ');
    const tokenParam = token === undefined || qsToken !== undefined ? '' : `token=${encodeURIComponent(token)}`;
    const viewerQuery = [qs, tokenParam].filter((part) => part).join('&');
    const channelId = param(PARAM.channel);
    return {
      dialect: 'flussonic',
      caller,
      ip: viewerIp(param(PARAM.ip), 'ip'),
      channel: channelId,
      channelId,
      session: param(PARAM.session),
      userAgent: param(PARAM.userAgent),
      host: param(PARAM.host),
      referer: param(PARAM.referer),
      // Flussonic names the delivery in `proto`, some versions only in `type`.
      proto: param(PARAM.proto) ?? param('type'),
      requestType: param(PARAM.requestType),
      requestNumber: param(PARAM.requestNumber),
      rawQuery: viewerQuery,
      token,
      callerParams: query,
      ...authOf(viewer && single(viewer, 'auth')),
    };
  },

  answerHeaders(decision: WireDecision): Record<string, string> {
    const headers = decisionHeaders(decision);
    headers['X-AuthDuration'] = String(decision.ttlSeconds);
    // Who the viewer is to the middleware and their limits, as the deciding backend said.
    const said = decision.answer;
    if (said === undefined) return headers;
    // A non-numeric id still named the session (X-Session-Name) and counted its limits.
    if (said.userId !== undefined && WHOLE_NUMBER.test(said.userId)) setText(headers, 'X-UserId', said.userId);
    if (said.maxSessions !== undefined) headers['X-Max-Sessions'] = String(said.maxSessions);
    if (said.unique !== undefined) headers['X-Unique'] = String(said.unique);
    return headers;
  },
  answerText: PLAIN_TEXT,
};

function hostOf(origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** How Flussonic itself tells a backend where the session stands. */
interface Turn {
  readonly requestType: string;
  readonly requestNumber: string;
}

/**
 * A check as Flussonic would send it to its auth backend: every parameter
 * Flussonic sends is present (empty when unknown), as backends written for
 * Flussonic expect; `referer` only when known; then the Flussonic caller's
 * own other parameters, unchanged, and any `extra` a middleware's adapter adds.
 */
function askFlussonic(
  base: URL,
  viewer: ViewerRequest,
  turn: Turn,
  extra: Readonly<Record<string, string>> = {},
): OutboundRequest {
  const params = new URLSearchParams({
    [PARAM.channel]: viewer.channel ?? '',
    [PARAM.ip]: viewer.ip ?? '',
    [PARAM.token]: viewer.token ?? '',
    [PARAM.proto]: viewer.proto ?? protoFromPath(viewer.path),
    [PARAM.session]: viewer.session ?? '',
    [PARAM.requestType]: turn.requestType,
    [PARAM.requestNumber]: turn.requestNumber,
    [PARAM.userAgent]: viewer.userAgent ?? '',
    // Alta sends no host, only the origin it came from.
    [PARAM.host]: viewer.host ?? hostOf(viewer.origin) ?? '',
    [PARAM.viewerQuery]: viewer.rawQuery,
  });
  if (viewer.referer) params.append(PARAM.referer, viewer.referer);
  for (const [name, values] of viewer.callerParams ?? []) {
    if (SET_BY_THE_BRIDGE.has(name) || Object.hasOwn(extra, name)) continue;
    for (const value of values) params.append(name, value);
  }
  for (const [name, value] of Object.entries(extra)) params.append(name, value);
  return { ...withQuery(base, params.toString()), method: 'GET', headers: {} };
}

/** Sessions a backend's requests are counted for, each forgotten a day after its last request. */
const SESSION_MEMORY = { idleSeconds: 86_400, maxSessions: 100_000 } as const;

/** Writes Flussonic-style checks with extra parameters of the middleware's own. */
export type FlussonicWriter = (
  base: URL,
  viewer: ViewerRequest,
  extra?: Readonly<Record<string, string>>,
) => OutboundRequest;

/**
 * The Flussonic-style writer of one backend. A Flussonic caller's own
 * `request_type` and `request_number` pass as they came; for every other
 * caller the bridge counts its requests per `(caller, session)` to this backend.
 */
export function flussonicWriter(now?: () => number): FlussonicWriter {
  const numbers = new SessionNumbers({ ...SESSION_MEMORY, now });
  return (base: URL, viewer: ViewerRequest, extra?: Readonly<Record<string, string>>) => {
    if (viewer.dialect === 'flussonic') {
      return askFlussonic(
        base,
        viewer,
        { requestType: viewer.requestType ?? '', requestNumber: viewer.requestNumber ?? '' },
        extra,
      );
    }
    const turn = numbers.next(viewer.caller, viewer.session);
    return askFlussonic(
      base,
      viewer,
      { requestType: turn.requestType, requestNumber: String(turn.requestNumber) },
      extra,
    );
  };
}
