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
 * (`{user, password, token, ip, action, path, protocol, id, query, userAgent}`), allowed
 * on any 2xx. HLS asks once per segment per viewer, which the cache absorbs.
 */
export const mediamtxCaller = jsonHookCaller({
  name: 'mediamtx',
  read(field, caller, limits) {
    const action = field.text('action');
    const path = viewerPath(field.text('path'), 'path');
    const user = field.text('user');
    const password = field.text('password');
    const token = field.text('token');
    // MediaMTX from 1.12.3 also sends a non-empty password as `token` (a JWT may come in the password field). With a
    // user beside it, that is the user's password, not a token: read as one, it went to the middleware in clear and
    // matched a local user by token (another user's).
    const passwordCopy = user !== undefined && password !== undefined && token === password;
    const viewer = viewerQuery(field.text('query') ?? '', limits, passwordCopy ? undefined : token);
    return {
      dialect: 'mediamtx',
      caller,
      ip: viewerIp(field.text('ip'), 'ip'),
      channel: lastSegment(path),
      channelId: undefined,
      path: path === undefined ? undefined : `/${path}`,
      session: field.text('id'),
      proto: field.text('protocol'),
      userAgent: field.text('userAgent'),
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
