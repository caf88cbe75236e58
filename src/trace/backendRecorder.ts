import { createAdapter } from '../adapters/factory.js';
import {
  MiddlewareClient,
  TransportError,
  type MiddlewareAnswer,
  type OutboundRequest,
} from '../adapters/transport.js';
import type { AskLimits, BackendVerdict, MiddlewareAdapter } from '../adapters/types.js';
import type { BackendConfig } from '../config/schema.js';
import { headersRead, maskedRequest, type Scrub } from './mask.js';
import type { TracedBackend } from './types.js';

interface Exchange {
  readonly outbound: OutboundRequest;
  readonly outcome: MiddlewareAnswer | TransportError;
}

function tracedBackend(
  name: string,
  config: BackendConfig,
  verdict: BackendVerdict,
  exchange: Exchange | undefined,
  durationMs: number,
  scrub: Scrub,
): TracedBackend {
  const answer = exchange && !(exchange.outcome instanceof TransportError) ? exchange.outcome : undefined;
  return {
    backend: name,
    type: config.type,
    request: exchange ? maskedRequest(exchange.outbound, scrub) : undefined,
    status: answer?.status,
    headers: answer ? headersRead(answer, scrub) : undefined,
    outcome: verdict.outcome,
    ...(verdict.outcome === 'error'
      ? { error: verdict.error, detail: scrub(verdict.detail), notes: [] }
      : { notes: verdict.notes.map(scrub) }),
    durationMs,
  };
}

/**
 * The configured backends as live adapters for one trace: no circuit breaker
 * (a trace asks whatever state the running bridge's circuits are in), each on
 * a client of its own whose exchange observer ties every request to its backend.
 */
export function tracedAdapters(backends: Readonly<Record<string, BackendConfig>>, scrub: Scrub, now: () => number) {
  const clients: MiddlewareClient[] = [];
  const asked: TracedBackend[] = [];
  const pending = new Set<Promise<unknown>>();
  const adapters = new Map<string, MiddlewareAdapter>(
    Object.entries(backends).map(([name, config]) => {
      let last: Exchange | undefined;
      const client = new MiddlewareClient((outbound, outcome) => (last = { outbound, outcome }));
      clients.push(client);
      const adapter = createAdapter(name, config, client);
      const check = async (viewer: Parameters<MiddlewareAdapter['check']>[0], limits: AskLimits) => {
        last = undefined;
        const started = now();
        const verdict = await adapter.check(viewer, limits);
        asked.push(tracedBackend(name, config, verdict, last, now() - started, scrub));
        return verdict;
      };
      return [
        name,
        {
          name,
          check: (viewer, limits) => {
            const checking = check(viewer, limits);
            pending.add(checking);
            void checking.finally(() => pending.delete(checking)).catch(() => undefined);
            return checking;
          },
        },
      ];
    }),
  );
  return {
    adapters,
    /** Every backend asked so far, in the order their answers came. */
    asked: () => [...asked],
    /** Waits for backends still answering (cancelled once another allowed), so the trace shows them too. */
    settled: async () => {
      await Promise.allSettled([...pending]);
    },
    close: () => Promise.all(clients.map((client) => client.close())),
  };
}
