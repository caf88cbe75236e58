import { channelFromPath, type ViewerRequest } from '../../viewer.js';
import { parseQuery, single } from '../query.js';
import { authOf, headerOf as header, nonEmpty, rawQueryOf, viewerIp } from './common.js';
import { decisionHeaders, type CallerDialect } from './types.js';

/**
 * Cesbo Astra and Alta "HTTP Request" backend: the viewer's own query string,
 * the viewer's details in `X-*` headers (Astra sends X-Channel-ID and
 * X-Real-Host, Alta sends X-Real-Origin).
 */
export const cesboDialect: CallerDialect = {
  name: 'cesbo',

  readViewer(req, maxQueryBytes): ViewerRequest {
    const rawQuery = rawQueryOf(req, maxQueryBytes);
    const query = parseQuery(rawQuery);
    const path = header(req, 'x-real-path');
    return {
      dialect: 'cesbo',
      ip: viewerIp(header(req, 'x-real-ip'), 'X-Real-IP'),
      channel: header(req, 'x-channel-id') ?? channelFromPath(path),
      path,
      session: header(req, 'x-session-id'),
      userAgent: header(req, 'x-real-ua'),
      host: header(req, 'x-real-host'),
      origin: header(req, 'x-real-origin'),
      rawQuery,
      token: nonEmpty(single(query, 'token')),
      ...authOf(single(query, 'auth')),
    };
  },

  answerHeaders: decisionHeaders,
};
