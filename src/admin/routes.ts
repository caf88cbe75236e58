import type { IncomingMessage } from 'node:http';
import { parseDuration } from '../config/duration.js';
import { POINT_IN_TIME_FORMS, pointInTime as readPointInTime } from '../config/isoTime.js';
import { singleHeader } from '../protocols/read.js';
import { RequestProblem } from '../requestProblem.js';
import type { AdminActions, RevokeTarget } from './actions.js';
import { AdminProblem, readJsonBody, type BodyLimits } from './body.js';
import { sessionsJson } from './sessionsJson.js';
import type { SessionFilter, SessionsView, StatsGrouping, StatsView } from './views.js';
import { STATS_GROUPINGS as GROUPINGS } from '../stats/types.js';

/** What a route answers: JSON (an object), JSON text written as it is made, or a ready text with its content type. */
export type AdminAnswer =
  | { readonly status: number; readonly json: unknown; readonly headers?: Readonly<Record<string, string>> }
  | { readonly status: number; readonly chunks: AsyncIterable<string>; readonly headers?: undefined }
  | {
      readonly status: number;
      readonly text: string;
      readonly contentType: string;
      readonly headers?: Readonly<Record<string, string>>;
    };

export interface AdminRequest {
  readonly req: IncomingMessage;
  readonly query: URLSearchParams;
  /** The raw query after `?`, as a Cesbo caller would send a viewer's. */
  readonly rawQuery: string;
}

export interface AdminRouteSources {
  readonly actions: AdminActions;
  readonly sessions?: SessionsView;
  readonly stats?: StatsView;
  readonly hasRoute: (route: string) => boolean;
  readonly now: () => Date;
  readonly body: BodyLimits;
}

const STATS_OFF = 'statistics are off: this bridge keeps no viewing sessions or statistics';

/** The statistics database not answering is the database's outage (503), not the bridge's fault. */
async function fromDatabase<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AdminProblem(503, `the statistics database is unavailable: ${message}`);
  }
}

/** A trace refuses bad input as the decision listener would (400, 403, 404): said so, not as a failure. */
async function asRefusal<T>(traced: () => Promise<T>): Promise<T> {
  try {
    return await traced();
  } catch (error) {
    if (error instanceof RequestProblem) throw new AdminProblem(error.status, error.message);
    throw error;
  }
}
/** A chart of more points than this is unreadable and costs the database for nothing. */
const MAX_CHART_POINTS = 2000;
/** The headers a Cesbo caller sends about its viewer; a trace reads the same ones. */
const VIEWER_HEADERS = [
  'x-session-id',
  'x-channel-id',
  'x-real-ip',
  'x-real-path',
  'x-real-ua',
  'x-real-host',
  'x-real-origin',
];

function notAvailable(what: string): never {
  throw new AdminProblem(404, `${what} is not available in this bridge`);
}

/**
 * A parameter given at most once; empty counts as not given (`?until=&limit=`, as the README's route list
 * writes them). Given twice it is refused rather than one of the two picked.
 */
function parameter(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new AdminProblem(400, `${name}: given more than once`);
  return values[0] === '' ? undefined : values[0];
}

/** A parameter the route does not take is refused: a typo (`untill=`) would otherwise change the answer unseen. */
function onlyParameters(query: URLSearchParams, names: readonly string[]): void {
  for (const name of query.keys())
    if (!names.includes(name))
      throw new AdminProblem(
        400,
        `${JSON.stringify(name.slice(0, 64))}: not a parameter of this route (it takes ${names.join(', ')})`,
      );
}

/** `since`/`until`: a duration back from now (`24h`, `7d`), a date, or a date-time with a zone. */
function pointInTime(query: URLSearchParams, name: string, now: Date, fallback?: string): Date | undefined {
  const text = parameter(query, name) ?? fallback;
  if (text === undefined) return undefined;
  const ms = readPointInTime(text, now.getTime());
  if (ms === undefined) throw new AdminProblem(400, `${name}: expected ${POINT_IN_TIME_FORMS}`);
  return new Date(ms);
}

function period(query: URLSearchParams, now: Date): { since: Date; until?: Date } {
  const since = pointInTime(query, 'since', now, '24h')!;
  const until = pointInTime(query, 'until', now);
  if (until !== undefined && until <= since) throw new AdminProblem(400, 'until: must be after since');
  // Without until the window ends now: one starting later would end before it starts.
  if (until === undefined && since > now) throw new AdminProblem(400, 'since: in the future (until is now)');
  return until === undefined ? { since } : { since, until };
}

function revokeTarget(body: unknown): RevokeTarget {
  const keys = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
  const fields = ['token', 'login', 'userId'] as const;
  const named = fields.filter((field) => keys.includes(field));
  const value = named.length === 1 ? (body as Record<string, unknown>)[named[0]!] : undefined;
  if (keys.length !== 1 || typeof value !== 'string' || value === '') {
    throw new AdminProblem(
      400,
      'expected a JSON object with exactly one of token, login or userId (a non-empty string)',
    );
  }
  return { [named[0]!]: value } as RevokeTarget;
}

function isEmptyObject(body: unknown): boolean {
  return body !== null && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0;
}

function flushRoute(body: unknown, hasRoute: (route: string) => boolean): string | undefined {
  if (body === undefined) return undefined;
  const keys = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : undefined;
  if (keys === undefined || keys.some((key) => key !== 'route'))
    throw new AdminProblem(400, 'expected a JSON object {} or {"route": "<name>"}');
  const route = (body as { route?: unknown }).route;
  if (route === undefined) return undefined;
  if (typeof route !== 'string') throw new AdminProblem(400, 'route: expected a route name');
  if (!hasRoute(route)) throw new AdminProblem(404, `no route named ${JSON.stringify(route)}`);
  return route;
}

function traced(request: AdminRequest, hasRoute: (route: string) => boolean): [string, string, Record<string, string>] {
  const route = parameter(request.query, 'route');
  if (route === undefined) throw new AdminProblem(400, 'route: required (the route to decide the check as)');
  if (!hasRoute(route)) throw new AdminProblem(404, `no route named ${JSON.stringify(route)}`);
  // The viewer's query exactly as it came, less the route parameter that is the admin's own.
  const viewerQuery = request.rawQuery
    .split('&')
    .filter((part) => part !== '' && !/^route(=|$)/.test(part))
    .join('&');
  const headers: Record<string, string> = {};
  for (const name of VIEWER_HEADERS) {
    // Given twice, refused (400) as the decision listener refuses it, not joined into one made-up value.
    const value = singleHeader(request.req, name);
    if (value !== undefined) headers[name] = value;
  }
  return [route, viewerQuery, headers];
}

type Handler = (request: AdminRequest) => Promise<AdminAnswer>;

/**
 * The admin listener's steering and reading routes (all behind the token).
 * Each checks its input, calls the callback given for it, and answers what
 * the callback returned; a callback not given answers 404 saying so.
 */
export function adminRoutes(
  sources: AdminRouteSources,
): ReadonlyMap<string, { readonly method: 'GET' | 'POST'; readonly handle: Handler }> {
  const { actions, sessions, stats, hasRoute, now } = sources;
  const json = (value: unknown, status = 200): AdminAnswer => ({ status, json: value });
  return new Map([
    [
      '/admin/sessions',
      {
        method: 'GET',
        handle: async ({ query }) => {
          if (sessions === undefined) throw new AdminProblem(404, STATS_OFF);
          onlyParameters(query, ['user', 'channel', 'route', 'limit']);
          const filter: { -readonly [K in keyof SessionFilter]: SessionFilter[K] } = {};
          for (const name of ['user', 'channel', 'route'] as const) {
            const value = parameter(query, name);
            if (value !== undefined) filter[name] = value;
          }
          const limitText = parameter(query, 'limit');
          // Digits only: `1e3` or `0x10` are not how a count is written, and Number() would read them.
          const limit = limitText === undefined ? Infinity : /^\d{1,15}$/.test(limitText) ? Number(limitText) : NaN;
          if (limitText !== undefined && !(limit >= 1))
            throw new AdminProblem(400, 'limit: expected a whole number of at least 1, in at most 15 digits');
          // Most recently checked first, so that a limited list shows the sessions being watched now.
          const { count, sessions: listed } = sessions.list(filter, limit);
          return { status: 200, chunks: sessionsJson(count, listed) };
        },
      },
    ],
    [
      '/admin/stats',
      {
        method: 'GET',
        handle: async ({ query }) => {
          if (stats === undefined) throw new AdminProblem(404, STATS_OFF);
          onlyParameters(query, ['by', 'since', 'until']);
          const grouping = (parameter(query, 'by') ?? 'channel') as StatsGrouping;
          if (!GROUPINGS.includes(grouping)) throw new AdminProblem(400, `by: expected one of ${GROUPINGS.join('|')}`);
          const asked = period(query, now());
          // The end of the window is always said, and the rows are of that very window.
          const when = { since: asked.since, until: asked.until ?? now() };
          return json({
            by: grouping,
            since: when.since.toISOString(),
            until: when.until.toISOString(),
            rows: await fromDatabase(stats.query({ ...when, grouping })),
          });
        },
      },
    ],
    [
      '/admin/stats/concurrency',
      {
        method: 'GET',
        handle: async ({ query }) => {
          if (stats === undefined) throw new AdminProblem(404, STATS_OFF);
          onlyParameters(query, ['since', 'until', 'step']);
          const stepSeconds = parseDuration(parameter(query, 'step') ?? '60');
          if (stepSeconds === undefined) throw new AdminProblem(400, 'step: expected a duration such as 60 or 5m');
          const when = period(query, now());
          const span = ((when.until ?? now()).getTime() - when.since.getTime()) / 1000;
          // A point at `since` and one every step after it, up to `until` included.
          if (Math.floor(span / stepSeconds) + 1 > MAX_CHART_POINTS)
            throw new AdminProblem(
              400,
              `step: at most ${MAX_CHART_POINTS} points per chart; choose a larger step or a shorter period`,
            );
          return json({ stepSeconds, points: await fromDatabase(stats.concurrency({ ...when, stepSeconds })) });
        },
      },
    ],
    [
      '/admin/revoke',
      {
        method: 'POST',
        handle: async ({ req }) => {
          const target = revokeTarget(await readJsonBody(req, sources.body));
          return json(await (actions.revoke ?? notAvailable('revoke'))(target));
        },
      },
    ],
    [
      '/admin/cache/flush',
      {
        method: 'POST',
        handle: async ({ req }) => {
          const route = flushRoute(await readJsonBody(req, sources.body), hasRoute);
          return json(await (actions.flush ?? notAvailable('cache flush'))(route));
        },
      },
    ],
    [
      '/admin/reload',
      {
        method: 'POST',
        handle: async ({ req }) => {
          const body = await readJsonBody(req, sources.body);
          // It takes nothing: a body with fields was meant for another route, or asks for what a reload cannot do.
          if (body !== undefined && !isEmptyObject(body))
            throw new AdminProblem(400, 'expected no body, or the JSON object {}');
          const outcome = await (actions.reload ?? notAvailable('reload'))();
          return json(outcome, outcome.result === 'ok' ? 200 : 422);
        },
      },
    ],
    [
      '/admin/trace',
      {
        method: 'GET',
        handle: async (request) => {
          const trace = actions.trace ?? notAvailable('trace');
          return json(await asRefusal(() => trace(...traced(request, hasRoute))));
        },
      },
    ],
  ]);
}
