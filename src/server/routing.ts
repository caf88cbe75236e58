import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallerProtocol } from '../protocols/types.js';
import { RequestProblem } from './problem.js';

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

function regexText(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function onlyAnswered(methods: readonly string[]): string {
  return methods.length === 1
    ? `only ${methods[0]} is answered`
    : `only ${methods.slice(0, -1).join(', ')} and ${methods.at(-1)} are answered`;
}

/** 405 with the methods that path answers. */
export function methodNotAllowed(methods: readonly string[]): {
  readonly problem: RequestProblem;
  readonly allow: string;
} {
  return { problem: new RequestProblem(405, onlyAnswered(methods)), allow: methods.join(', ') };
}

/** What the slow path found for a request that is not a plain decision request. */
export type Resolved =
  | { readonly kind: 'decide'; readonly routed: Routed }
  | { readonly kind: 'service'; readonly path: string }
  | { readonly kind: 'refuse'; readonly problem: RequestProblem; readonly allow?: string };

/**
 * The paths of a list of caller protocols: `<prefix>` (route `default`) and
 * `<prefix>/<route>`. `fast` recognizes a plain decision request with one
 * regular expression and no decoding (nearly all the traffic); `resolve`
 * handles everything else the way an HTTP router would: percent-decoded route
 * names, a trailing slash, prefixes in any case, 404 and 405 with `Allow`.
 */
/** Decides one check of `protocol` on `route`. */
export type Decide = (
  protocol: CallerProtocol,
  route: string,
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<void>;

export function callerRouting(protocols: readonly CallerProtocol[], services: readonly ServiceRoute[]) {
  const byPrefix = new Map(protocols.map((protocol) => [protocol.prefix, protocol] as const));
  const plain = new RegExp(
    `^(${protocols.map((p) => regexText(p.prefix)).join('|')})(?:\\/([A-Za-z0-9_-]+))?\\/?(?:\\?|$)`,
  );

  return {
    /** Hands a plain decision request to `decide` and says so; false for anything else. Allocates nothing. */
    fast(req: IncomingMessage, res: ServerResponse, decide: Decide): boolean {
      const match = plain.exec(req.url ?? '');
      if (!match) return false;
      const protocol = byPrefix.get(match[1]!)!;
      if (!protocol.methods.includes(req.method!)) return false;
      void decide(protocol, match[2] ?? 'default', req, res);
      return true;
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
      if (!protocol.methods.includes(req.method!)) return { kind: 'refuse', ...methodNotAllowed(protocol.methods) };
      let route: string;
      try {
        route = decodeURIComponent(match[2] || 'default');
      } catch {
        return { kind: 'refuse', problem: new RequestProblem(400, 'malformed request path') };
      }
      return { kind: 'decide', routed: { protocol, route } };
    },
  };
}
