import type { BodyRule } from '../config/schema.js';
import type { ViewerRequest } from '../viewer.js';
import { readAnswer } from './readAnswer.js';
import { TransportError, type MiddlewareClient, type OutboundRequest } from './transport.js';
import type { BackendVerdict, MiddlewareAdapter } from './types.js';

export interface AskOptions {
  readonly timeoutMs: number;
  readonly body?: BodyRule;
}

/** How a check is put on the wire: Cesbo style or Flussonic style (see wire.ts). */
export type WireStyle = (base: URL, viewer: ViewerRequest) => OutboundRequest;

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

/** An adapter that sends every check to one endpoint in one wire style. */
export function wireAdapter(name: string, endpoint: string, style: WireStyle, options: AskOptions, client: MiddlewareClient): MiddlewareAdapter {
  const base = new URL(endpoint);
  return { name, check: (viewer, signal) => askMiddleware(client, style(base, viewer), options, signal) };
}
