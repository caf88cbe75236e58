import { RequestProblem } from '../requestProblem.js';
import type { ViewerRequest } from '../viewer.js';
import { parseQuery, single } from './query.js';
import { authOf, boundedQuery, nonEmpty, viewerIp } from './read.js';
import {
  type AnswerText,
  type BodyFormat,
  type CallerProtocol,
  decisionHeaders,
  type ReadBody,
  type ReadLimits,
} from './types.js';

/** A hook's JSON object, read field by field: a field of the wrong type is a 400 naming it. */
export interface JsonFields {
  /** A text field; a number is read as its digits when `numbers` allows (SRS 3 sends `client_id` as one). */
  text(name: string, numbers?: 'numbers allowed'): string | undefined;
}

function jsonFields(body: ReadBody | undefined): JsonFields {
  if (body?.format !== 'json') throw new RequestProblem(400, 'expected a JSON body');
  const document = body.document as Record<string, unknown>;
  return {
    text(name, numbers) {
      const value = Object.hasOwn(document, name) ? document[name] : undefined;
      if (value === undefined || value === null) return undefined;
      if (typeof value === 'string') return nonEmpty(value);
      if (numbers && typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      throw new RequestProblem(
        400,
        `"${name}" in the body is not ${numbers ? 'a string or a whole number' : 'a string'}`,
      );
    },
  };
}

/** The last non-empty `/` segment: the stream a path names. */
export function lastSegment(path: string | undefined): string | undefined {
  return path
    ?.split('/')
    .filter((part) => part !== '')
    .at(-1);
}

/** `/app/stream` from an RTMP application and stream name. */
function rtmpPath(app: string | undefined, stream: string | undefined): string | undefined {
  return stream === undefined ? undefined : `/${app === undefined ? '' : `${app}/`}${stream}`;
}

/**
 * The viewer's own query as a hook carries it, with its token and `auth=`. A
 * token the hook names apart from the query (MediaMTX reads it from the
 * viewer's Authorization header) is added to the query Cesbo-style backends
 * receive, and must agree with a token in the query.
 */
export function viewerQuery(
  raw: string,
  limits: ReadLimits,
  separateToken?: string,
): Pick<ViewerRequest, 'rawQuery' | 'token' | 'auth' | 'credentials'> {
  const query = parseQuery(boundedQuery(raw, limits.maxQueryBytes));
  const queryToken = nonEmpty(single(query, 'token'));
  if (separateToken !== undefined && queryToken !== undefined && separateToken !== queryToken) {
    throw new RequestProblem(400, 'token and the token in the query differ');
  }
  const token = separateToken ?? queryToken;
  const rawQuery =
    queryToken === undefined && token !== undefined
      ? [raw, `token=${encodeURIComponent(token)}`].filter((part) => part).join('&')
      : raw;
  return { rawQuery, token, ...authOf(single(query, 'auth')) };
}

/** A hook caller's own part: how its body names the viewer. */
export interface HookCaller {
  readonly name: 'mediamtx' | 'srs' | 'nginx-rtmp';
  readonly body: BodyFormat;
  read(caller: string | undefined, limits: ReadLimits, body: ReadBody | undefined): ViewerRequest;
  readonly answerText: AnswerText;
}

/** A streaming server that POSTs a hook per event on `/<name>`, answered with the common headers. */
export function hookCaller({ name, body, read, answerText }: HookCaller): CallerProtocol {
  return {
    name,
    prefix: `/${name}`,
    methods: ['POST'],
    body,
    read: (_req, caller, limits, hookBody) => read(caller, limits, hookBody),
    answerHeaders: decisionHeaders,
    answerText,
  };
}

/** A hook caller that POSTs JSON: its `read` gets the body's fields. */
export function jsonHookCaller({
  read,
  ...rest
}: Omit<HookCaller, 'body' | 'read'> & {
  read(field: JsonFields, caller: string | undefined, limits: ReadLimits): ViewerRequest;
}): CallerProtocol {
  return hookCaller({ ...rest, body: 'json', read: (caller, limits, body) => read(jsonFields(body), caller, limits) });
}

/** What an RTMP server's hook (SRS, nginx-rtmp) names, already read from its own field names. */
export interface RtmpHook {
  readonly dialect: 'srs' | 'nginx-rtmp';
  readonly caller: string | undefined;
  /** The viewer's address and the field it came in (named in a 400). */
  readonly ip: readonly [value: string | undefined, field: string];
  readonly app: string | undefined;
  readonly stream: string | undefined;
  readonly session: string | undefined;
  readonly pageUrl: string | undefined;
  /** The viewer's own query, raw. */
  readonly query: string;
  /** The event as the server named it, the field that names it, and what each event means. */
  readonly event: string | undefined;
  readonly eventField: string;
  readonly events: Readonly<Record<string, HookAction>>;
}

/** The viewer of an RTMP server's hook: the stream is the channel, `/app/stream` the path, `rtmp` the protocol. */
export function rtmpViewer(hook: RtmpHook, limits: ReadLimits): ViewerRequest {
  return {
    dialect: hook.dialect,
    caller: hook.caller,
    ip: viewerIp(...hook.ip),
    channel: hook.stream,
    channelId: hook.stream,
    path: rtmpPath(hook.app, hook.stream),
    session: hook.session,
    proto: 'rtmp',
    referer: hook.pageUrl,
    ...viewerQuery(hook.query, limits),
    ...askedBy(hook.events, hook.eventField, hook.event),
  };
}

/** What a hook's action means to the bridge. */
export type HookAction =
  | { readonly kind: 'read' }
  | { readonly kind: 'publish' }
  | { readonly kind: 'notice'; readonly endsSession: boolean };

export const READ: HookAction = { kind: 'read' };
export const PUBLISH: HookAction = { kind: 'publish' };
export const NOTICE: HookAction = { kind: 'notice', endsSession: false };
export const ENDS_SESSION: HookAction = { kind: 'notice', endsSession: true };

/**
 * The parts of a viewer that say what the caller asks for (a check, a publish, or a notice), from
 * the event the hook names in `field` and its protocol's table; a missing or unknown one is a 400.
 */
export function askedBy(
  table: Readonly<Record<string, HookAction>>,
  field: string,
  event: string | undefined,
): Pick<ViewerRequest, 'publishing' | 'notice'> {
  if (event === undefined) throw new RequestProblem(400, `"${field}" is missing`);
  if (!Object.hasOwn(table, event)) throw new RequestProblem(400, `unknown ${field} "${event}"`);
  const action = table[event]!;
  if (action.kind === 'publish') return { publishing: true };
  if (action.kind === 'notice') return { notice: { event, endsSession: action.endsSession } };
  return {};
}
