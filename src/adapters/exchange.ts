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
  /** Empty when the request said no one reads it (its size was still checked). */
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
