import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallerProtocol } from '../protocols/types.js';
import { RequestProblem } from '../requestProblem.js';

/** A decision request: which caller protocol, which route. */
export interface Routed {
  readonly protocol: CallerProtocol;
  readonly route: string;
}

/** Routes outside the caller protocols: the few the bridge answers for itself. */
export interface ServiceRoute {
  readonly path: string;
  readonly methods: readonly string[];
}

/** A character of a plain route name: a letter, a digit, `_` or `-`. */
function inRouteName(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x5f ||
    code === 0x2d
  );
}

/**
 * The route a plain decision target names after its prefix (which ends at `at`): `/<name>`
 * (`default` without one), a slash after it allowed, then `?` or the end. Undefined for anything
 * else: the slow path decodes, folds case and refuses.
 */
export function plainRoute(target: string, at: number): string | undefined {
  let end = at;
  let route = 'default';
  if (target.charCodeAt(at) === 0x2f) {
    end = at + 1;
    while (end < target.length && inRouteName(target.charCodeAt(end))) end++;
    if (end > at + 1) route = target.slice(at + 1, end);
    else end = at;
  }
  if (target.charCodeAt(end) === 0x2f) end++;
  return end === target.length || target.charCodeAt(end) === 0x3f ? route : undefined;
}

function onlyAnswered(methods: readonly string[]): string {
  return methods.length === 1
    ? `only ${methods[0]} is answered`
    : `only ${methods.slice(0, -1).join(', ')} and ${methods.at(-1)} are answered`;
}

/** 405 with the methods that path answers. */
function methodNotAllowed(methods: readonly string[]): {
  readonly problem: RequestProblem;
  readonly allow: string;
} {
  return { problem: new RequestProblem(405, onlyAnswered(methods)), allow: methods.join(', ') };
}

/** What the slow path found for a request that is not a plain decision request. */
export type Resolved =
  | { readonly kind: 'decide'; readonly routed: Routed }
  | { readonly kind: 'service'; readonly path: string }
  | {
      readonly kind: 'refuse';
      readonly problem: RequestProblem;
      readonly allow?: string;
      /** The caller protocol whose path it named, if any. */
      readonly protocol?: string;
    };

/**
 * The paths of a list of caller protocols: `<prefix>` (route `default`) and
 * `<prefix>/<route>`. `fast` recognizes a plain decision request with one
 * regular expression and no decoding (nearly all the traffic); `resolve`
 * handles everything else the way an HTTP router would: percent-decoded route
 * names, a trailing slash, prefixes in any case, 404 and 405 with `Allow`.
 */
/** Decides one check of `protocol` on `route`: in this turn (a hit the process holds), or a promise of it. */
export type Decide = (
  protocol: CallerProtocol,
  route: string,
  req: IncomingMessage,
  res: ServerResponse,
) => void | Promise<void>;

export function callerRouting(protocols: readonly CallerProtocol[], services: readonly ServiceRoute[]) {
  const byPrefix = new Map(protocols.map((protocol) => [protocol.prefix, protocol] as const));

  return {
    /**
     * Hands a plain decision request (`<prefix>`, `<prefix>/<route>`, a slash after either, then
     * the query or nothing) to `decide` and says so; false for anything else. Walked by hand: a
     * regular expression's match costs more, and an array of its groups on every check.
     */
    fast(req: IncomingMessage, res: ServerResponse, decide: Decide): boolean {
      const target = req.url ?? '';
      for (const protocol of protocols) {
        if (!target.startsWith(protocol.prefix)) continue;
        const route = plainRoute(target, protocol.prefix.length);
        if (route === undefined) continue;
        if (!protocol.methods.includes(req.method!)) return false;
        void decide(protocol, route, req, res);
        return true;
      }
      return false;
    },

    resolve(req: IncomingMessage): Resolved {
      const path = (req.url ?? '').split('?')[0]!;
      const service = services.find((candidate) => candidate.path === path);
      if (service) {
        if (service.methods.includes(req.method!)) return { kind: 'service', path };
        return { kind: 'refuse', ...methodNotAllowed(service.methods) };
      }
      const match = /^(\/[^/]*)(?:\/([^/]*))?\/?$/.exec(path);
      const protocol = match && byPrefix.get(match[1]!.toLowerCase());
      if (!match || !protocol) return { kind: 'refuse', problem: new RequestProblem(404, 'not found') };
      if (!protocol.methods.includes(req.method!))
        return { kind: 'refuse', ...methodNotAllowed(protocol.methods), protocol: protocol.name };
      let route: string;
      try {
        route = decodeURIComponent(match[2] || 'default');
      } catch {
        return { kind: 'refuse', problem: new RequestProblem(400, 'malformed request path'), protocol: protocol.name };
      }
      return { kind: 'decide', routed: { protocol, route } };
    },
  };
}
