import { ENDS_SESSION, jsonHookCaller, NOTICE, PUBLISH, READ, rtmpViewer, type HookAction } from './hookBody.js';

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
export const srsCaller = jsonHookCaller({
  name: 'srs',
  read(field, caller, limits) {
    return rtmpViewer(
      {
        dialect: 'srs',
        caller,
        ip: [field.text('ip'), 'ip'],
        app: field.text('app'),
        stream: field.text('stream'),
        session: field.text('client_id', 'numbers allowed'),
        pageUrl: field.text('pageUrl'),
        query: (field.text('param') ?? '').replace(/^\?/, ''),
        event: field.text('action'),
        eventField: 'action',
        events: ACTIONS,
      },
      limits,
    );
  },
  answerText: { allow: '0', deny: '1' },
});
