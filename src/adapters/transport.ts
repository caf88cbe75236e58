import { Agent } from 'undici';
import { MAX_HEAD_BYTES } from './answerHead.js';
import { AnswerCollector } from './answerCollector.js';
import { answerScanningConnector } from './boundedSocket.js';
import type { MiddlewareAnswer, OutboundRequest, TransportError } from './exchange.js';
import { DEFAULT_MIDDLEWARE_CONNECTIONS } from '../config/schema.js';

export { MAX_ANSWER_BYTES, type MiddlewareAnswer, type OutboundRequest, TransportError } from './exchange.js';

/** Sees every exchange with a middleware (record mode writes them down as fixtures). */
export type ExchangeObserver = (outbound: OutboundRequest, outcome: MiddlewareAnswer | TransportError) => void;

/**
 * Shows `outcome` to the observer, then settles. The observer is called from
 * undici's parser callbacks: its fault must not reach the parser, it fails the request.
 */
function observed(
  observe: ExchangeObserver,
  outbound: OutboundRequest,
  outcome: MiddlewareAnswer | TransportError,
  settle: () => void,
  reject: (fault: unknown) => void,
): void {
  try {
    observe(outbound, outcome);
  } catch (observerFault) {
    reject(observerFault);
    return;
  }
  settle();
}

/**
 * Pooled keep-alive HTTP client shared by all adapters. Middleware checks are
 * many and tiny, so reusing sockets matters more than anything else here.
 */
export class MiddlewareClient {
  private readonly agent: Agent;

  /**
   * `connections`: at most this many open to one middleware origin (`limits.middlewareConnections`); a request past
   * them waits for one to come free, within its own deadline.
   */
  constructor(
    private readonly observe?: ExchangeObserver,
    connections = DEFAULT_MIDDLEWARE_CONNECTIONS,
  ) {
    this.agent = new Agent({
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      connections,
      // Heads are bounded on the raw bytes first (see boundedSocket.ts); pinned here too, so a
      // --max-http-header-size given to Node for the viewers' side never loosens the middlewares'.
      maxHeaderSize: MAX_HEAD_BYTES,
      connect: answerScanningConnector(),
      // The answer's deadline is the collector's one timer (see answerCollector.ts); undici's two would only add to it.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  /**
   * Sends one request; the whole answer is due within `timeoutMs`, and
   * `signal` (when something may cancel it) ends it early. A body no one
   * reads is only counted, unless an exchange observer wants it.
   */
  send(
    outbound: OutboundRequest,
    timeoutMs: number,
    signal?: AbortSignal,
    body: 'read' | 'discard' = 'read',
  ): Promise<MiddlewareAnswer> {
    return new Promise((resolve, reject) => this.dispatch(outbound, timeoutMs, signal, body, resolve, reject));
  }

  /**
   * `send`, its answer turned into a `T` by `read` and its failure (a
   * TransportError, or an exchange observer's fault) by `fail` as it settles:
   * one promise per request where `send(...).then(read, fail)` makes two and a
   * microtask hop more, on every miss. A throw from either rejects the promise.
   */
  sendAndRead<T>(
    outbound: OutboundRequest,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    body: 'read' | 'discard',
    read: (answer: MiddlewareAnswer) => T,
    fail: (failure: unknown) => T,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const settle = <O>(turn: (outcome: O) => T, outcome: O): void => {
        try {
          resolve(turn(outcome));
        } catch (fault) {
          reject(fault);
        }
      };
      try {
        this.dispatch(
          outbound,
          timeoutMs,
          signal,
          body,
          (answer) => settle(read, answer),
          (failure) => settle(fail, failure),
        );
      } catch (fault) {
        // As a throw inside send()'s promise would reach a then(read, fail): failed, not thrown at the caller.
        settle(fail, fault);
      }
    });
  }

  /** One request to `outbound`, its answer or failure handed to `answered` or `failed` (once). */
  private dispatch(
    outbound: OutboundRequest,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    body: 'read' | 'discard',
    answered: (answer: MiddlewareAnswer) => void,
    failed: (failure: unknown) => void,
  ): void {
    const { observe, agent } = this;
    const keepBody = body === 'read' || observe !== undefined;
    const request = {
      origin: outbound.origin,
      path: outbound.path,
      method: outbound.method ?? 'GET',
      headers: outbound.headers,
      body: outbound.body,
    };
    const collector =
      observe === undefined
        ? new AnswerCollector(answered, failed, timeoutMs, keepBody, signal, agent, request)
        : new AnswerCollector(
            (answer) => observed(observe, outbound, answer, () => answered(answer), failed),
            (failure) => observed(observe, outbound, failure, () => failed(failure), failed),
            timeoutMs,
            keepBody,
            signal,
            agent,
            request,
          );
    // Cancelled before it was sent: the caller (and an observer) hears so at once.
    if (signal?.aborted) {
      collector.handleEvent();
      return;
    }
    agent.dispatch(request, collector);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
