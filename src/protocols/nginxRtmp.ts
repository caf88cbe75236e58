import { RequestProblem } from '../requestProblem.js';
import { ENDS_SESSION, hookCaller, NOTICE, PUBLISH, READ, rtmpViewer, type HookAction } from './hookBody.js';
import { parseQuery, single } from './query.js';
import { nonEmpty } from './read.js';
import { PLAIN_TEXT } from './types.js';

/** nginx-rtmp's calls: `play` watches, `publish` publishes, the rest only report. */
const CALLS: Readonly<Record<string, HookAction>> = {
  play: READ,
  publish: PUBLISH,
  connect: NOTICE,
  disconnect: NOTICE,
  publish_done: NOTICE,
  record_done: NOTICE,
  update: NOTICE,
  update_play: NOTICE,
  update_publish: NOTICE,
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
    const field = (name: string) => nonEmpty(single(form, name));
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
