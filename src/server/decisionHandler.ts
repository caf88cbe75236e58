import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { BODY_LIMIT_DEFAULTS } from '../config/callerSchema.js';
import { decisionsThrough, type DecisionLog, type Logger } from '../log.js';
import { cacheOutcome, kindOf, observeAll, type BridgeObserver } from '../observe.js';
import type { Decider, Decision } from '../pipeline/types.js';
import { fingerprint } from '../secrets.js';
import { shownChannel } from '../secretText.js';
import type { BodyFormat, CallerProtocol, ReadLimits } from '../protocols/types.js';
import type { ViewerRequest } from '../viewer.js';
import { type AnswerHead, answerHeads } from './answerHeads.js';
import { readBody } from './body.js';
import { trustedCallerClassifier } from './callers.js';
import { RequestProblem } from '../requestProblem.js';

export interface DecisionHandlerOptions {
  readonly decider: Decider;
  readonly trustedCallers: readonly string[];
  readonly maxQueryBytes: number;
  /** `limits.maxBodyBytes` and `limits.bodyTimeoutMs`; their defaults when not given. */
  readonly bodyLimits?: Pick<ReadLimits, 'maxBodyBytes' | 'bodyTimeoutMs'>;
  readonly log: Logger;
  /** Where decision lines go; by default through `log`. */
  readonly decisions?: DecisionLog;
  /** Sees every answered check (metrics, sessions, statistics). */
  readonly observer?: BridgeObserver;
}

/**
 * Writes a whole plain-text answer with its length: some streaming servers'
 * HTTP clients are minimal. An ASCII body goes as a latin1 string so Node
 * sends head and body in one write; latin1 keeps the head's bytes as they are
 * (UTF-8 session names are already latin1-encoded header text).
 */
function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string>,
  ascii = /^[\x00-\x7f]*$/.test(body),
): void {
  const payload = ascii ? body : Buffer.from(body, 'utf8');
  headers['Content-Type'] = 'text/plain; charset=utf-8';
  headers['Content-Length'] = String(ascii ? body.length : payload.length);
  res.writeHead(status, headers);
  if (ascii) endWith(res, body);
  else res.end(payload);
}

/** What Node keeps of an answer's head once `writeHead` made it: the head's text, until it is sent. */
type WithHeadText = ServerResponse & { _header?: unknown };

/**
 * Ends an answer whose head is written with an ASCII body, in one write. `end(body)` queues the
 * body, then an empty chunk for its finish callback: Node sends the two as one `writev`. The body
 * appended to the head's text, `end()` queues one chunk: one `write`, as an answer without a body
 * is sent. An answer to HEAD has no body (Node drops what `end` is given).
 */
function endWith(res: ServerResponse, body: string): void {
  const head = res as WithHeadText;
  if (typeof head._header === 'string' && res.req.method !== 'HEAD') {
    head._header += body;
    res.end();
  } else res.end(body, 'latin1');
}

export function refuse(res: ServerResponse, problem: RequestProblem, headers: Record<string, string> = {}): void {
  send(res, problem.status, `${problem.message}\n`, { ...headers });
}

/** Milliseconds since `started` (a `performance.now()`), to the hundredth, as decision lines and metrics say them. */
function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

/** Problems after which the rest of the request is not read: the connection closes behind the answer. */
function endsConnection(problem: RequestProblem): boolean {
  return problem.status === 408 || problem.status === 413;
}

/**
 * Answers one viewer check in its caller's protocol, and logs it. Works on
 * plain node:http objects so it stays independent of the framework around it.
 */
export function decisionHandler({
  decider,
  trustedCallers,
  maxQueryBytes,
  bodyLimits = BODY_LIMIT_DEFAULTS,
  log,
  decisions = decisionsThrough(log),
  observer = {},
}: DecisionHandlerOptions) {
  const identify = trustedCallerClassifier(trustedCallers);
  const limits: ReadLimits = {
    maxQueryBytes,
    maxBodyBytes: bodyLimits.maxBodyBytes,
    bodyTimeoutMs: bodyLimits.bodyTimeoutMs,
  };
  const heads = new Map<CallerProtocol, (decision: Decision) => AnswerHead>();
  const headOf = (protocol: CallerProtocol) => {
    let head = heads.get(protocol);
    if (!head) {
      head = answerHeads(protocol);
      heads.set(protocol, head);
    }
    return head;
  };
  // An observer's fault must never reach the answer (already written by then).
  const { checkAnswered, sessionEnded } = observeAll([observer], (error) =>
    log.error('observer failed', { error: error instanceof Error ? error.message : String(error) }),
  );

  /** The decision line of a check that named a viewer: a decision, or a notice acknowledged. */
  const logViewer = (
    route: string,
    caller: string | undefined,
    viewer: ViewerRequest,
    allow: boolean,
    by: string,
    status: number,
    latencyMs: number,
    cache?: 'hit' | 'stale',
    undelivered?: true,
  ) =>
    decisions({
      route,
      dialect: viewer.dialect,
      caller,
      channel: shownChannel(viewer.channel, viewer.token),
      ip: viewer.ip,
      session: viewer.session,
      token: viewer.token === undefined ? undefined : fingerprint(viewer.token),
      login: viewer.credentials?.login,
      decision: allow ? 'allow' : 'deny',
      by,
      cache,
      status,
      undelivered,
      latencyMs,
    });

  /**
   * A notification that decides nothing: acknowledged as allowed, nobody asked; an ending one ends the viewing session.
   */
  const acknowledge = (
    protocol: CallerProtocol,
    route: string,
    caller: string | undefined,
    viewer: ViewerRequest,
    res: ServerResponse,
    started: number,
  ) => {
    const notice = viewer.notice!;
    send(res, 200, protocol.answerText.allow, {}, true);
    logViewer(route, caller, viewer, true, `notice (${notice.event})`, 200, elapsedMs(started));
    if (notice.endsSession)
      sessionEnded?.({
        route,
        protocol: viewer.dialect,
        caller,
        ip: viewer.ip,
        session: viewer.session,
        reason: notice.event,
      });
  };

  /** A decision written out, then logged and observed. */
  const answer = (
    protocol: CallerProtocol,
    route: string,
    caller: string | undefined,
    viewer: ViewerRequest,
    decision: Decision,
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
  ) => {
    res.writeHead(decision.allow ? 200 : 403, headOf(protocol)(decision) as string[]);
    endWith(res, decision.allow ? protocol.answerText.allow : protocol.answerText.deny);
    const durationMs = elapsedMs(started);
    // The caller hung up before the decision was ready: nothing reached it.
    const undelivered = res.destroyed || req.socket.destroyed || undefined;
    logViewer(
      route,
      caller,
      viewer,
      decision.allow,
      decision.source.by,
      res.statusCode,
      durationMs,
      decision.cache,
      undelivered,
    );
    checkAnswered?.({
      route,
      protocol: viewer.dialect,
      caller,
      viewer,
      decision,
      outcome: decision.allow ? 'allow' : 'deny',
      by: kindOf(decision.source),
      cache: cacheOutcome(decision),
      status: res.statusCode,
      durationMs,
    });
  };

  /** A check that failed before or while it was decided: refused as malformed, or denied for a bug. */
  const failed = (
    error: unknown,
    protocol: CallerProtocol,
    route: string,
    caller: string | undefined,
    viewer: ViewerRequest | undefined,
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
  ) => {
    const name = viewer?.dialect ?? protocol.dialectOf?.(req) ?? protocol.name;
    /** A check answered without a decision (refused as malformed, or a bug): logged and observed alike. */
    const undecided = (
      outcome: 'refused' | 'deny',
      by: 'refused' | 'internal-error',
      status: number,
      reason?: string,
    ) => {
      const durationMs = elapsedMs(started);
      const decision = outcome === 'refused' ? { decision: outcome, reason } : { decision: outcome, by };
      decisions({ route, dialect: name, caller, ...decision, status, latencyMs: durationMs });
      checkAnswered?.({
        route,
        protocol: name,
        caller,
        viewer,
        decision: undefined,
        outcome,
        by,
        cache: 'none',
        status,
        durationMs,
      });
    };
    if (error instanceof RequestProblem) {
      if (endsConnection(error)) res.shouldKeepAlive = false;
      const status = protocol.refusedAs?.(name, error.status) ?? error.status;
      refuse(res, status === error.status ? error : new RequestProblem(status, error.message));
      undecided('refused', 'refused', status, error.message);
      return;
    }
    // A bug must not become a 5xx: the streaming server would let the viewer in.
    log.error('request failed', { route, error: error instanceof Error ? error.message : String(error) });
    if (res.headersSent) res.destroy();
    else refuse(res, new RequestProblem(403, 'denied: the bridge could not decide'));
    undecided('deny', 'internal-error', 403);
  };

  /** The viewer as read, then its decision: answered in this turn when the process holds it, else waited for. */
  const decideFor = (
    protocol: CallerProtocol,
    route: string,
    caller: string | undefined,
    viewer: ViewerRequest,
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
  ): void | Promise<void> => {
    if (viewer.notice) return acknowledge(protocol, route, caller, viewer, res, started);
    const now = decider.decideNow?.(route, viewer);
    if (now !== undefined) return answer(protocol, route, caller, viewer, now, req, res, started);
    // As for a hit, what goes wrong while answering is failed as well as what goes wrong deciding:
    // in one then() (a catch() after it was one more promise and microtask on every miss).
    const fail = (error: unknown) => failed(error, protocol, route, caller, viewer, req, res, started);
    return decider.decide(route, viewer).then((decision) => {
      try {
        answer(protocol, route, caller, viewer, decision, req, res, started);
      } catch (error) {
        fail(error);
      }
    }, fail);
  };

  /** A caller whose request has a body: read (bounded in size and time) before the viewer can be. */
  const readBodyThenDecide = async (
    protocol: CallerProtocol,
    body: BodyFormat,
    route: string,
    caller: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
  ): Promise<void> => {
    let viewer: ViewerRequest | undefined;
    try {
      viewer = protocol.read(req, caller, limits, await readBody(req, body, limits));
      await decideFor(protocol, route, caller, viewer, req, res, started);
    } catch (error) {
      failed(error, protocol, route, caller, viewer, req, res, started);
    }
  };

  // Not an async function: a hit is answered without one (its promise and frame were each hit's garbage).
  return (protocol: CallerProtocol, route: string, req: IncomingMessage, res: ServerResponse): void | Promise<void> => {
    const started = performance.now();
    const { address: caller, trusted } = identify(req.socket.remoteAddress);
    let viewer: ViewerRequest | undefined;
    try {
      if (!trusted) throw new RequestProblem(403, 'caller is not in trustedCallers');
      if (!decider.hasRoute(route)) throw new RequestProblem(404, `no route named ${JSON.stringify(route)}`);
      if (protocol.body !== undefined)
        return readBodyThenDecide(protocol, protocol.body, route, caller, req, res, started);
      viewer = protocol.read(req, caller, limits);
      return decideFor(protocol, route, caller, viewer, req, res, started);
    } catch (error) {
      return failed(error, protocol, route, caller, viewer, req, res, started);
    }
  };
}
