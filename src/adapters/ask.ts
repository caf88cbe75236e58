import type { BodyRule } from '../config/schema.js';
import type { RequestWriter } from '../protocols/types.js';
import { readAnswer } from './readAnswer.js';
import { TransportError, type MiddlewareClient, type OutboundRequest } from './transport.js';
import { internalFault, type BackendVerdict, type MiddlewareAdapter } from './types.js';

export interface AskOptions {
  readonly timeoutMs: number;
  readonly body?: BodyRule;
  /** What a 3xx means: `deny` (with the redirect), or `allow` as old Flussonic granted on 302. */
  readonly redirect?: 'deny' | 'allow';
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/** Sends one check to a middleware and reads its answer; never rejects. */
async function askMiddleware(
  client: MiddlewareClient,
  outbound: OutboundRequest,
  options: AskOptions,
  signal: AbortSignal,
): Promise<BackendVerdict> {
  try {
    const answer = await client.send(outbound, options.timeoutMs, signal);
    const verdict = readAnswer(answer, options.body);
    if (options.redirect !== 'allow' || !isRedirect(answer.status) || verdict.outcome !== 'deny') return verdict;
    return { ...verdict, outcome: 'allow', info: { ...verdict.info, redirect: undefined } };
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

/** An adapter that sends every check to one endpoint, written in one protocol. */
export function wireAdapter(
  name: string,
  endpoint: string,
  write: RequestWriter,
  options: AskOptions,
  client: MiddlewareClient,
): MiddlewareAdapter {
  const base = new URL(endpoint);
  const authorization = basicAuthorization(base);
  return {
    name,
    check: (viewer, signal) => {
      const outbound = write(base, viewer);
      return askMiddleware(
        client,
        { ...outbound, headers: { ...outbound.headers, ...authorization } },
        options,
        signal,
      );
    },
  };
}
