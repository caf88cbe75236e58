import { Agent } from 'undici';
import { MAX_HEAD_BYTES } from './answerHead.js';
import { AnswerCollector } from './answerCollector.js';
import { answerScanningConnector, BadAnswerHead } from './boundedSocket.js';
import { type MiddlewareAnswer, type OutboundRequest, TransportError } from './exchange.js';
import type { BackendErrorKind } from './types.js';

export { MAX_ANSWER_BYTES, type MiddlewareAnswer, type OutboundRequest, TransportError } from './exchange.js';

const ERROR_KINDS: Record<string, BackendErrorKind> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  // The body did not have the length the head declared.
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'bad-answer',
};

function errorCode(error: unknown): string | undefined {
  const withCode = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = withCode?.code ?? withCode?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps whatever undici threw to an error kind; the message never contains the URL (it may hold a token). */
function classify(error: unknown): TransportError {
  // The bridge's own reasons (timeout, cancelled, too large) come back as they were given.
  if (error instanceof TransportError) return error;
  if (error instanceof BadAnswerHead) return new TransportError('bad-answer', error.message);
  const code = errorCode(error) ?? 'unknown';
  if (code.startsWith('HPE_') || (error as Error | undefined)?.name === 'HTTPParserError')
    return new TransportError('unparseable', `malformed HTTP answer (${code})`);
  const kind = ERROR_KINDS[code] ?? 'network';
  return new TransportError(
    kind,
    kind === 'bad-answer' ? `malformed HTTP answer (${code})` : `connection failed (${code})`,
  );
}

/** Sees every exchange with a middleware (record mode writes them down as fixtures). */
export type ExchangeObserver = (outbound: OutboundRequest, outcome: MiddlewareAnswer | TransportError) => void;

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
      // The observer is called from undici's parser callbacks: its fault must not reach the parser.
      const failed = (error: unknown) => {
        const failure = classify(error);
        try {
          this.observe?.(outbound, failure);
        } catch (observerFault) {
          return reject(observerFault);
        }
        reject(failure);
      };
      const answered = (answer: MiddlewareAnswer) => {
        try {
          this.observe?.(outbound, answer);
        } catch (observerFault) {
          return reject(observerFault);
        }
        resolve(answer);
      };
      if (signal?.aborted) return failed(new TransportError('cancelled', 'no longer needed'));
      const keepBody = body === 'read' || this.observe !== undefined;
      this.agent.dispatch(
        {
          origin: outbound.origin,
          path: outbound.path,
          method: outbound.method ?? 'GET',
          headers: outbound.headers,
          body: outbound.body,
        },
        new AnswerCollector(answered, failed, timeoutMs, keepBody, signal),
      );
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
