import { RequestProblem } from '../server/problem.js';
import type { ViewerRequest } from '../viewer.js';
import { parseQuery, single } from './query.js';
import { authOf, boundedQuery, nonEmpty } from './read.js';
import type { ReadBody, ReadLimits } from './types.js';

/** A hook's JSON object, read field by field: a field of the wrong type is a 400 naming it. */
export interface JsonFields {
  /** A text field; a number is read as its digits when `numbers` allows (SRS 3 sends `client_id` as one). */
  text(name: string, numbers?: 'numbers allowed'): string | undefined;
}

export function jsonFields(body: ReadBody | undefined): JsonFields {
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
export function rtmpPath(app: string | undefined, stream: string | undefined): string | undefined {
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

/** What a hook's action means to the bridge. */
export type HookAction =
  | { readonly kind: 'read' }
  | { readonly kind: 'publish' }
  | { readonly kind: 'notice'; readonly endsSession: boolean };

export const READ: HookAction = { kind: 'read' };
export const PUBLISH: HookAction = { kind: 'publish' };
export const NOTICE: HookAction = { kind: 'notice', endsSession: false };
export const ENDS_SESSION: HookAction = { kind: 'notice', endsSession: true };

/** The action of a hook, from its protocol's table; a missing or unknown one is a 400. */
export function actionOf(
  table: Readonly<Record<string, HookAction>>,
  field: string,
  value: string | undefined,
): HookAction {
  if (value === undefined) throw new RequestProblem(400, `"${field}" is missing`);
  if (!Object.hasOwn(table, value)) throw new RequestProblem(400, `unknown ${field} "${value}"`);
  return table[value]!;
}

/** The parts of a viewer that say what the caller asks for: a check, a publish, or a notice. */
export function asked(action: HookAction, event: string): Pick<ViewerRequest, 'publishing' | 'notice'> {
  if (action.kind === 'publish') return { publishing: true };
  if (action.kind === 'notice') return { notice: { event, endsSession: action.endsSession } };
  return {};
}
