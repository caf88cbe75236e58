import { RequestProblem } from '../requestProblem.js';
import { ENDS_SESSION, hookCaller, NOTICE, PUBLISH, READ, rtmpViewer, type HookAction } from './hookBody.js';
import type { Query } from '../viewer.js';
import { parseQuery, single } from './query.js';
import { nonEmpty } from './read.js';
import { PLAIN_TEXT } from './types.js';

/**
 * nginx-rtmp's calls: `play` watches, `publish` publishes, the rest only report. `on_update` (every
 * `notify_update_timeout`) says `update_play` or `update_publish` in nginx-rtmp 1.2: decided as a play or a publish,
 * so that a revoked or expired viewer is cut off (a non-2xx ends the connection). An older `update` says neither and
 * is only acknowledged: deciding a publisher's update as a viewer's check would cut the stream off.
 */
const CALLS: Readonly<Record<string, HookAction>> = {
  play: READ,
  publish: PUBLISH,
  update_play: READ,
  update_publish: PUBLISH,
  connect: NOTICE,
  disconnect: NOTICE,
  publish_done: NOTICE,
  record_done: NOTICE,
  update: NOTICE,
  play_done: ENDS_SESSION,
  done: ENDS_SESSION,
};

/** The fields nginx-rtmp writes itself; every other pair of the form is the viewer's own query. */
const NGINX_RTMP_FIELDS: ReadonlySet<string> = new Set([
  'call',
  'app',
  'flashver',
  'swfurl',
  'tcurl',
  'pageurl',
  'addr',
  'clientid',
  'epoch',
  'name',
  'type',
  'start',
  'duration',
  'reset',
  'time',
  'timestamp',
  'recorder',
  'path',
]);

function fieldName(pair: string): string {
  const eq = pair.indexOf('=');
  const name = eq === -1 ? pair : pair.slice(0, eq);
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    throw new RequestProblem(400, 'broken percent-encoding in the request body');
  }
}

const isDisconnect = (form: Query) => form.get('call')?.length === 1 && form.get('call')![0] === 'disconnect';

/** A `disconnect` names `app` twice itself, alike (its connect's fields, then `&app=` again): one app, not two. */
function disconnectApp(form: Query): string | undefined {
  const written = form.get('app');
  return written?.every((app) => app === written[0]) ? written[0] : single(form, 'app');
}

/**
 * nginx-rtmp `on_play`/`on_publish` (and its notifications): a POST form of
 * `call, addr, clientid, app, name, tcurl, pageurl, flashver, ...` followed,
 * byte for byte, by the viewer's own query (`token=...`), which is kept raw
 * for Cesbo-style backends. 2xx lets the client play, 3xx redirects it,
 * anything else drops it.
 */
export const nginxRtmpCaller = hookCaller({
  name: 'nginx-rtmp',
  body: 'form',
  read(caller, limits, body) {
    if (body?.format !== 'form') throw new RequestProblem(400, 'expected a form body');
    const form = parseQuery(body.text);
    const field = (name: string) =>
      nonEmpty(name === 'app' && isDisconnect(form) ? disconnectApp(form) : single(form, name));
    const own = body.text.split('&').filter((pair) => pair !== '' && !NGINX_RTMP_FIELDS.has(fieldName(pair)));
    return rtmpViewer(
      {
        dialect: 'nginx-rtmp',
        caller,
        ip: [field('addr'), 'addr'],
        app: field('app'),
        stream: field('name'),
        session: field('clientid'),
        pageUrl: field('pageurl'),
        query: own.join('&'),
        event: field('call'),
        eventField: 'call',
        events: CALLS,
      },
      limits,
    );
  },
  answerText: PLAIN_TEXT,
});
