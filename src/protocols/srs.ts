import type { ViewerRequest } from '../viewer.js';
import {
  actionOf,
  asked,
  ENDS_SESSION,
  jsonFields,
  NOTICE,
  PUBLISH,
  READ,
  rtmpPath,
  viewerQuery,
  type HookAction,
} from './hookBody.js';
import { viewerIp } from './read.js';
import { decisionHeaders, type CallerProtocol } from './types.js';

/** SRS's hooks: `on_play` watches, `on_publish` publishes, the rest only report. */
const ACTIONS: Readonly<Record<string, HookAction>> = {
  on_play: READ,
  on_publish: PUBLISH,
  on_connect: NOTICE,
  on_unpublish: NOTICE,
  on_dvr: NOTICE,
  on_hls: NOTICE,
  on_hls_notify: NOTICE,
  on_stop: ENDS_SESSION,
  on_close: ENDS_SESSION,
};

/**
 * SRS `http_hooks`: a POST of JSON per event (`{action, client_id, ip, vhost,
 * app, stream, param, tcUrl, pageUrl, ...}`, `param` being the viewer's
 * `?token=...`). SRS lets the client in only on a 200 whose body is `0`.
 */
export const srsCaller: CallerProtocol = {
  name: 'srs',
  prefix: '/srs',
  methods: ['POST'],
  body: 'json',

  read(_req, caller, limits, body): ViewerRequest {
    const field = jsonFields(body);
    const action = field.text('action');
    const stream = field.text('stream');
    return {
      dialect: 'srs',
      caller,
      ip: viewerIp(field.text('ip'), 'ip'),
      channel: stream,
      channelId: stream,
      path: rtmpPath(field.text('app'), stream),
      session: field.text('client_id', 'numbers allowed'),
      proto: 'rtmp',
      referer: field.text('pageUrl'),
      ...viewerQuery((field.text('param') ?? '').replace(/^\?/, ''), limits),
      ...asked(actionOf(ACTIONS, 'action', action), action!),
    };
  },

  answerHeaders: decisionHeaders,
  answerText: { allow: '0', deny: '1' },
};
