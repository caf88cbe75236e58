import { Agent } from 'undici';
import { MAX_HEAD_BYTES } from './answerHead.js';
import { AnswerCollector } from './answerCollector.js';
import { answerScanningConnector } from './boundedSocket.js';
import type { MiddlewareAnswer, OutboundRequest, TransportError } from './exchange.js';

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
  private readonly agent = new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connections: 256,
    // Heads are bounded on the raw bytes first (see boundedSocket.ts); pinned here too, so a
    // --max-http-header-size given to Node for the viewers' side never loosens the middlewares'.
    maxHeaderSize: MAX_HEAD_BYTES,
    connect: answerScanningConnector(),
    // The answer's deadline is the collector's one timer (see answerCollector.ts); undici's two would only add to it.
    headersTimeout: 0,
    bodyTimeout: 0,
  });

  constructor(private readonly observe?: ExchangeObserver) {}

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
    return new Promise((resolve, reject) => {
      const { observe } = this;
      const keepBody = body === 'read' || observe !== undefined;
      const collector =
        observe === undefined
          ? new AnswerCollector(resolve, reject, timeoutMs, keepBody, signal)
          : new AnswerCollector(
              (answer) => observed(observe, outbound, answer, () => resolve(answer), reject),
              (failure) => observed(observe, outbound, failure, () => reject(failure), reject),
              timeoutMs,
              keepBody,
              signal,
            );
      // Cancelled before it was sent: the caller (and an observer) hears so at once.
      if (signal?.aborted) return collector.handleEvent();
      this.agent.dispatch(
        {
          origin: outbound.origin,
          path: outbound.path,
          method: outbound.method ?? 'GET',
          headers: outbound.headers,
          body: outbound.body,
        },
        collector,
      );
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
