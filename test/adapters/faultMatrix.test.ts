import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBridge, type TestBridge } from '../support/bridge.js';
import { startFaultServer, type FaultServer } from '../support/faultServer.js';
import { MIDDLEWARE_FAULTS, provesTimeout, type MiddlewareFault } from '../support/middlewareFaults.js';
import { closedPort } from '../support/replayServer.js';
import type { BackendErrorKind } from '../../src/adapters/types.js';
import { BACKEND_TYPES as CONFIG_BACKEND_TYPES, type BackendDocument } from './support.js';

/**
 * Every backend type × both caller protocols × every middleware fault, through
 * the real bridge: each check is answered explicitly — the route's default when
 * the middleware failed, the deny or allow it really gave otherwise — within
 * the route's budget, and never with a 5xx.
 */

// Generous for a loaded 2-core machine: a fault that is not a timeout must never look like one. At 3 s, in a
// clean clone's CI run beside the e2e files, the 3,000-header answers were still being read when it ran out.
const BACKEND_TIMEOUT_MS = 6000;
// For the faults that prove the timeout (a hang, the trickles: 10 s or more), whose answer is never read in
// time whatever the load: the timeout's length proves nothing more, and at 6 s the matrix waited 6 s on them.
const TIMEOUT_FAULT_MS = 1500;
// The bound every check's answer is held to, as the caller measures it. Generous too: at a load of 11 on two
// cores, answers the bridge gave at once arrived after 5.4 s. Still short of the 10 s the trickles take, so a
// bridge that waited for a trickling middleware instead of cutting it short fails.
const ROUTE_BUDGET_MS = 8000;
const ALLOW_TTL = 123;
const DENY_TTL = 17;
const PROMO = 'http://promo.example.com/default';

/** One backend in the matrix: how it is configured under a base URL, and what the faults need of it. */
interface MatrixRow {
  /** The row's name (a type, or a type with a setting), part of each route's name. */
  readonly type: string;
  readonly backend: (base: string) => BackendDocument;
  /**
   * What a 2xx without a body (the `authduration-*` faults) comes to: `allow` for a middleware whose
   * status and headers decide; for one whose body decides, the error it reads there (never an allow).
   */
  readonly bodiless2xx: 'allow' | { readonly error: BackendErrorKind };
}

const BACKEND_TYPES: readonly MatrixRow[] = [
  { type: 'http', backend: (base) => ({ type: 'http', url: `${base}/check` }), bodiless2xx: 'allow' },
  { type: 'flussonic', backend: (base) => ({ type: 'flussonic', url: `${base}/auth` }), bodiless2xx: 'allow' },
  {
    type: 'ministra',
    backend: (base) => ({ type: 'ministra', url: `${base}/stalker_portal` }),
    bodiless2xx: 'allow',
  },
  {
    type: 'iptvportal-cesbo',
    backend: (base) => ({ type: 'iptvportal', url: base, protocol: 'cesbo' }),
    bodiless2xx: 'allow',
  },
  {
    type: 'iptvportal-flussonic',
    backend: (base) => ({ type: 'iptvportal', url: base, protocol: 'flussonic' }),
    bodiless2xx: 'allow',
  },
  { type: 'smarty', backend: (base) => ({ type: 'smarty', url: base }), bodiless2xx: 'allow' },
];
const rowOf = new Map(BACKEND_TYPES.map((row) => [row.type, row]));

const REFUSE: MiddlewareFault = { name: 'refuse', script: () => ({ kind: 'hang' }), expect: { error: 'refused' } };
const FAULTS = [...MIDDLEWARE_FAULTS, REFUSE];
const byName = new Map(FAULTS.map((fault) => [fault.name, fault]));

let middleware: FaultServer;
let bridge: TestBridge;
let listener: Server;
let bridgeUrl: string;

const routeOf = (type: string, fault: string) => `${type}--${fault}`;

beforeAll(async () => {
  middleware = await startFaultServer((requestLine) => {
    const path = requestLine.split(' ')[1]!;
    return byName.get(path.split('/')[1]!)!.script(`${middleware.url}${path}`);
  });
  const refusing = `http://127.0.0.1:${await closedPort()}`;
  const backends: Record<string, unknown> = {};
  const routes: Record<string, unknown> = {};
  for (const { type, backend } of BACKEND_TYPES) {
    for (const { name, expect: outcome } of FAULTS) {
      const base = `${name === REFUSE.name ? refusing : middleware.url}/${name}`;
      backends[routeOf(type, name)] = {
        ...backend(base),
        timeoutMs: provesTimeout(outcome) ? TIMEOUT_FAULT_MS : BACKEND_TIMEOUT_MS,
      };
      routes[routeOf(type, name)] = {
        backends: [routeOf(type, name)],
        default: 'deny',
        denyRedirect: PROMO,
        timeoutMs: ROUTE_BUDGET_MS,
      };
    }
  }
  bridge = testBridge({ cache: { allowTtl: ALLOW_TTL, denyTtl: DENY_TTL }, backends, routes });
  listener = createServer(bridge.app);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  bridgeUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
  await bridge.close();
  await middleware.close();
});

type Caller = 'cesbo' | 'flussonic';

/** A token of Ministra's form (the strictest backend), different per check so no answer is shared through the cache. */
const tokenFor = (route: string, caller: Caller) => createHash('md5').update(`${route} ${caller}`).digest('hex');

function ask(route: string, caller: Caller): Promise<Response> {
  const token = tokenFor(route, caller);
  if (caller === 'cesbo') {
    return fetch(`${bridgeUrl}/auth/${route}?token=${token}`, {
      headers: {
        'X-Session-ID': '1001',
        'X-Channel-ID': 'a001',
        'X-Real-IP': '203.0.113.7',
        'X-Real-Path': '/play/a001/index.m3u8',
      },
    });
  }
  const query = new URLSearchParams({
    name: 'a001',
    ip: '203.0.113.7',
    token,
    proto: 'hls',
    session_id: 's-1001',
    request_type: 'new_session',
  });
  return fetch(`${bridgeUrl}/flussonic/${route}?${query}`);
}

interface LogLine {
  readonly message: string;
  readonly route?: string;
  readonly dialect?: string;
  readonly backend?: string;
  readonly by?: string;
  readonly error?: string;
}

/** The bridge's log, each line parsed once: every check reads it, and parsing it whole each time cost 0.3 s of CPU. */
const parsedLog: LogLine[] = [];
function logLines(): readonly LogLine[] {
  for (const line of bridge.logs.slice(parsedLog.length)) parsedLog.push(JSON.parse(line) as LogLine);
  return parsedLog;
}

/** What one check came to: what the caller got, which step decided, and how the backend failed (if it did). */
async function observe(type: string, fault: string, caller: Caller) {
  const route = routeOf(type, fault);
  const started = performance.now();
  const res = await ask(route, caller);
  await res.arrayBuffer();
  const elapsedMs = performance.now() - started;
  const lines = logLines();
  const decision = lines.findLast(
    (line) => line.message === 'decision' && line.route === route && line.dialect === caller,
  );
  const failure = lines.findLast((line) => line.message === 'backend failed' && line.backend === route);
  return {
    elapsedMs,
    seen: {
      type,
      caller,
      status: res.status,
      by: decision?.by,
      error: failure?.error,
      location: res.headers.get('x-location') ?? undefined,
      authDuration: res.headers.get('x-authduration') ?? undefined,
    },
  };
}

/** What a fault comes to for this backend: a bodiless 2xx is an allow only where the status and headers decide. */
function expectedOutcome(fault: MiddlewareFault, type: string): MiddlewareFault['expect'] {
  const bodiless2xx = rowOf.get(type)!.bodiless2xx;
  return 'outcome' in fault.expect && fault.expect.outcome === 'allow' && bodiless2xx !== 'allow'
    ? bodiless2xx
    : fault.expect;
}

/** What the check must come to (README, "How backend answers are read"). */
function expected(fault: MiddlewareFault, type: string, caller: Caller, seenLocation: string | undefined) {
  const route = routeOf(type, fault.name);
  const flussonicCaller = caller === 'flussonic';
  const base = { type, caller };
  const outcome = expectedOutcome(fault, type);
  if ('error' in outcome) {
    return {
      ...base,
      status: 403,
      by: 'default',
      error: outcome.error,
      location: PROMO,
      authDuration: flussonicCaller ? String(DENY_TTL) : undefined,
    };
  }
  if (outcome.outcome === 'allow') {
    return {
      ...base,
      status: 200,
      by: `backend:${route}`,
      error: undefined,
      location: undefined,
      authDuration: flussonicCaller ? String(ALLOW_TTL) : undefined,
    };
  }
  // The redirect the middleware gave (its own URL): a deny, never a request the bridge follows.
  expect(seenLocation?.startsWith(`${middleware.url}/${fault.name}/`)).toBe(true);
  return {
    ...base,
    status: 403,
    by: `backend:${route}`,
    error: undefined,
    location: seenLocation,
    authDuration: flussonicCaller ? String(DENY_TTL) : undefined,
  };
}

it('every backend type the config accepts has a row in the fault matrix', () => {
  expect(new Set(BACKEND_TYPES.map((row) => row.backend('http://127.0.0.1').type))).toEqual(
    new Set(CONFIG_BACKEND_TYPES),
  );
});

describe('middleware fault matrix: every backend type × both callers', () => {
  it.concurrent.each(FAULTS.map((fault) => [fault.name, fault] as const))('%s', async (_name, fault) => {
    const checks = BACKEND_TYPES.flatMap(({ type }) =>
      (['cesbo', 'flussonic'] as const).map((caller) => observe(type, fault.name, caller)),
    );
    const results = await Promise.all(checks);
    expect(results.map((result) => result.seen)).toEqual(
      results.map(({ seen }) => expected(fault, seen.type, seen.caller, seen.location)),
    );
    for (const { elapsedMs, seen } of results)
      expect(elapsedMs, `${seen.type} ${seen.caller}`).toBeLessThan(ROUTE_BUDGET_MS);
  });
});
