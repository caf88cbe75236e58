import type { Decision } from '../pipeline/decision.js';
import type { CallerProtocol } from '../protocols/types.js';

/** The head of one decision's answer as the flat name, value list Node's `writeHead` takes. */
export type AnswerHead = readonly string[];

interface Prepared {
  readonly ttlSeconds: number;
  readonly head: AnswerHead;
}

/**
 * How many cached decisions' heads one protocol keeps prepared. A prepared head costs about 270 B
 * (measured: 200,000 hit entries), as much again as the cached decision itself, so it is kept for
 * the decisions hit lately, not for every entry of a million: when full, the table starts over.
 */
const MAX_PREPARED_HEADS = 4096;

/**
 * The answer heads of one caller protocol: its decision headers, then Content-Type and
 * Content-Length of its plain-text body. A cached hit's head is prepared once per cached decision
 * (the store's entry, which every hit of it shares by reference), for up to `maxPrepared`
 * decisions at a time. A head that says the remaining lifetime (Flussonic's X-AuthDuration) is
 * prepared again when that changes, once a second at most; any other decision's head is built for it.
 */
export function answerHeads(
  protocol: CallerProtocol,
  maxPrepared = MAX_PREPARED_HEADS,
): (decision: Decision) => AnswerHead {
  // Keyed by the entry itself: a key that never leaves the process, and no digest per hit.
  const prepared = new Map<object, Prepared>();
  const build = (decision: Decision): AnswerHead => {
    const body = decision.allow ? protocol.answerText.allow : protocol.answerText.deny;
    const head: string[] = [];
    for (const [name, value] of Object.entries(protocol.answerHeaders(decision))) head.push(name, value);
    head.push('Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)));
    return head;
  };
  return (decision) => {
    // Only a backend's answer is cached: a connection-limit deny of a cached allow says the cache was hit too, but its
    // answer is its own, made for it (preparing it would only push the cached entries' heads out).
    const entry = decision.cache === 'hit' && decision.source.kind === 'backend' ? decision.answer : undefined;
    if (entry === undefined) return build(decision);
    const known = prepared.get(entry);
    if (known?.ttlSeconds === decision.ttlSeconds) return known.head;
    const head = build(decision);
    if (known === undefined && prepared.size >= maxPrepared) prepared.clear();
    prepared.set(entry, { ttlSeconds: decision.ttlSeconds, head });
    return head;
  };
}
