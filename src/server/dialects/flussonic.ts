import type { Decision } from '../../pipeline/types.js';
import type { ViewerRequest } from '../../viewer.js';
import { RequestProblem } from '../problem.js';
import { parseQuery, single } from '../query.js';
import { authOf, nonEmpty, rawQueryOf, viewerIp } from './common.js';
import { decisionHeaders, setText, type CallerDialect } from './types.js';

/**
 * Flussonic auth-backend protocol (also Nimble-style servers and Astra forks):
 * everything arrives as query parameters, the viewer's own query in `qs`.
 */
export const flussonicDialect: CallerDialect = {
  name: 'flussonic',

  readViewer(req, maxQueryBytes): ViewerRequest {
    const query = parseQuery(rawQueryOf(req, maxQueryBytes));
    const param = (name: string) => nonEmpty(single(query, name));
    const qs = param('qs');
    const viewer = qs === undefined ? undefined : parseQuery(qs);
    const qsToken = viewer && nonEmpty(single(viewer, 'token'));
    const token = param('token') ?? qsToken;
    // Cesbo-style backends read the token from the viewer's query: the two must not tell different stories.
    if (qsToken !== undefined && token !== qsToken) throw new RequestProblem(400, 'token and the token in qs differ');
    const tokenParam = token === undefined || qsToken !== undefined ? '' : `token=${encodeURIComponent(token)}`;
    const viewerQuery = [qs, tokenParam].filter((part) => part).join('&');
    return {
      dialect: 'flussonic',
      ip: viewerIp(param('ip'), 'ip'),
      channel: param('name'),
      session: param('session_id'),
      userAgent: param('user_agent'),
      host: param('host'),
      referer: param('referer'),
      proto: param('proto'),
      requestType: param('request_type'),
      requestNumber: param('request_number'),
      rawQuery: viewerQuery,
      token,
      ...authOf(viewer && single(viewer, 'auth')),
    };
  },

  answerHeaders(decision: Decision): Record<string, string> {
    const headers = decisionHeaders(decision);
    headers['X-AuthDuration'] = String(decision.ttlSeconds);
    setText(headers, 'X-UserId', decision.userId);
    if (decision.maxSessions !== undefined) headers['X-Max-Sessions'] = String(decision.maxSessions);
    if (decision.unique !== undefined) headers['X-Unique'] = String(decision.unique);
    return headers;
  },
};
