import { askedBy, jsonHookCaller, lastSegment, PUBLISH, READ, viewerQuery, type HookAction } from './hookBody.js';
import { viewerIp, viewerPath } from './read.js';
import { PLAIN_TEXT } from './types.js';

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
export const mediamtxCaller = jsonHookCaller({
  name: 'mediamtx',
  read(field, caller, limits) {
    const action = field.text('action');
    const path = viewerPath(field.text('path'), 'path');
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
      ...askedBy(ACTIONS, 'action', action),
    };
  },
  answerText: PLAIN_TEXT,
});
