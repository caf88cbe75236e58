import type { BodyRule } from '../config/schema.js';
import { readAnswer } from './readAnswer.js';
import { TransportError, type MiddlewareClient, type OutboundRequest } from './transport.js';
import type { BackendVerdict } from './types.js';

export interface AskOptions {
  readonly timeoutMs: number;
  readonly body?: BodyRule;
}

/** Sends one check to a middleware and reads its answer; never rejects. */
export async function askMiddleware(
  client: MiddlewareClient,
  outbound: OutboundRequest,
  options: AskOptions,
  signal: AbortSignal,
): Promise<BackendVerdict> {
  try {
    return readAnswer(await client.send(outbound, options.timeoutMs, signal), options.body);
  } catch (error) {
    if (error instanceof TransportError) return { outcome: 'error', error: error.kind, detail: error.message };
    return { outcome: 'error', error: 'network', detail: 'unexpected failure while asking the middleware' };
  }
}
