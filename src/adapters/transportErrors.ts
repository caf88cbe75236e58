/** What went wrong with a middleware request, in the bridge's words: undici's errors mapped to error kinds. */
import { BadAnswerHead, ReusedConnectionLost } from './boundedSocket.js';
import { TransportError } from './exchange.js';
import type { BackendErrorKind } from './types.js';

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
export function classify(error: unknown): TransportError {
  // The bridge's own reasons (timeout, cancelled, too large) come back as they were given.
  if (error instanceof TransportError) return error;
  if (error instanceof BadAnswerHead) return new TransportError('bad-answer', error.message);
  // Lost again and again (every resend): as any connection cut off before the answer.
  if (error instanceof ReusedConnectionLost) return new TransportError('reset', `connection failed (${error.message})`);
  const code = errorCode(error) ?? 'unknown';
  if (code.startsWith('HPE_') || (error as Error | undefined)?.name === 'HTTPParserError')
    return new TransportError('unparseable', `malformed HTTP answer (${code})`);
  const kind = ERROR_KINDS[code] ?? 'network';
  return new TransportError(
    kind,
    kind === 'bad-answer' ? `malformed HTTP answer (${code})` : `connection failed (${code})`,
  );
}
