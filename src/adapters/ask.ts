import type { BodyRule } from '../config/schema.js';
import type { ViewerRequest } from '../viewer.js';
import { readAnswer } from './readAnswer.js';
import { TransportError, type MiddlewareClient, type OutboundRequest } from './transport.js';
import { internalFault, type BackendVerdict, type MiddlewareAdapter } from './types.js';

export interface AskOptions {
  readonly timeoutMs: number;
  readonly body?: BodyRule;
}

/** How a check is put on the wire: Cesbo style or Flussonic style (see wire.ts). */
export type WireStyle = (base: URL, viewer: ViewerRequest) => OutboundRequest;

/** Sends one check to a middleware and reads its answer; never rejects. */
async function askMiddleware(
  client: MiddlewareClient,
  outbound: OutboundRequest,
  options: AskOptions,
  signal: AbortSignal,
): Promise<BackendVerdict> {
  try {
    return readAnswer(await client.send(outbound, options.timeoutMs, signal), options.body);
  } catch (error) {
    if (error instanceof TransportError) return { outcome: 'error', error: error.kind, detail: error.message };
    return internalFault(error);
  }
}

/** `http://user:password@host/` in a backend URL means HTTP Basic authentication. */
function basicAuthorization(url: URL): Record<string, string> {
  if (url.username === '' && url.password === '') return {};
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` };
}

/** An adapter that sends every check to one endpoint in one wire style. */
export function wireAdapter(name: string, endpoint: string, style: WireStyle, options: AskOptions, client: MiddlewareClient): MiddlewareAdapter {
  const base = new URL(endpoint);
  const authorization = basicAuthorization(base);
  return {
    name,
    check: (viewer, signal) => {
      const outbound = style(base, viewer);
      return askMiddleware(client, { ...outbound, headers: { ...outbound.headers, ...authorization } }, options, signal);
    },
  };
}
