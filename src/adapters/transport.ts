import { Agent } from 'undici';
import { childAbort } from '../resilience/abort.js';
import { MAX_HEAD_BYTES } from './answerHead.js';
import { answerScanningConnector, BadAnswerHead } from './boundedSocket.js';
import type { BackendErrorKind } from './types.js';

/** Middleware answers past this size are treated as broken, not read further. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export interface OutboundRequest {
  /** `http://host:port` */
  readonly origin: string;
  /** GET when not given. */
  readonly method?: 'GET' | 'POST';
  /** Path and query exactly as they go on the request line. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The request body (its content type is among `headers`); none for a GET. */
  readonly body?: string;
}

export interface MiddlewareAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export class TransportError extends Error {
  constructor(
    readonly kind: BackendErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

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
function classify(error: unknown, timedOut: boolean, cancelled: boolean): TransportError {
  if (error instanceof TransportError) return error;
  if (timedOut) return new TransportError('timeout', 'no complete answer within timeoutMs');
  if (cancelled) return new TransportError('cancelled', 'no longer needed');
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

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  declaredLength: unknown,
): Promise<Buffer> {
  if (Number(declaredLength) > MAX_ANSWER_BYTES) {
    body.destroy();
    throw new TransportError('too-large', `answer of ${Number(declaredLength)} bytes exceeds ${MAX_ANSWER_BYTES}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new TransportError('too-large', `answer exceeds ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
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
  });

  constructor(private readonly observe?: ExchangeObserver) {}

  async send(outbound: OutboundRequest, timeoutMs: number, signal: AbortSignal): Promise<MiddlewareAnswer> {
    const request = childAbort(signal);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, timeoutMs);
    try {
      const response = await this.agent.request({
        origin: outbound.origin,
        path: outbound.path,
        method: outbound.method ?? 'GET',
        headers: outbound.headers,
        body: outbound.body,
        signal: request.signal,
      });
      const body = await readCapped(response.body, response.headers['content-length']);
      const answer = { status: response.statusCode, headers: response.headers, body };
      this.observe?.(outbound, answer);
      return answer;
    } catch (error) {
      const failure = classify(error, timedOut, signal.aborted);
      this.observe?.(outbound, failure);
      throw failure;
    } finally {
      clearTimeout(timer);
      request.release();
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
