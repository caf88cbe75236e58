import type { ViewerRequest } from '../viewer.js';
import { actionOf, asked, jsonFields, lastSegment, PUBLISH, READ, viewerQuery, type HookAction } from './hookBody.js';
import { viewerIp } from './read.js';
import { decisionHeaders, PLAIN_TEXT, type CallerProtocol } from './types.js';

/** MediaMTX's actions: `read` and `playback` watch; anything else publishes or reaches its API. */
const ACTIONS: Readonly<Record<string, HookAction>> = {
  read: READ,
  playback: READ,
  publish: PUBLISH,
  api: PUBLISH,
  metrics: PUBLISH,
  pprof: PUBLISH,
};

/**
 * MediaMTX `authMethod: http`: one POST of JSON per read or publish
 * (`{user, password, token, ip, action, path, protocol, id, query}`), allowed
 * on any 2xx. HLS asks once per segment per viewer, which the cache absorbs.
 */
export const mediamtxCaller: CallerProtocol = {
  name: 'mediamtx',
  prefix: '/mediamtx',
  methods: ['POST'],
  body: 'json',

  read(_req, caller, limits, body): ViewerRequest {
    const field = jsonFields(body);
    const action = field.text('action');
    const path = field.text('path');
    const user = field.text('user');
    const password = field.text('password');
    const viewer = viewerQuery(field.text('query') ?? '', limits, field.text('token'));
    return {
      dialect: 'mediamtx',
      caller,
      ip: viewerIp(field.text('ip'), 'ip'),
      channel: lastSegment(path),
      channelId: undefined,
      path: path === undefined ? undefined : `/${path}`,
      session: field.text('id'),
      proto: field.text('protocol'),
      ...viewer,
      // MediaMTX's own user and password (from the viewer's URL or Basic auth) are the credentials.
      ...(user !== undefined
        ? { auth: `${user}:${password ?? ''}`, credentials: { login: user, password: password ?? '' } }
        : {}),
      ...asked(actionOf(ACTIONS, 'action', action), action!),
    };
  },

  answerHeaders: decisionHeaders,
  answerText: PLAIN_TEXT,
};
