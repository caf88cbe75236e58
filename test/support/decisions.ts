import type { BackendInfo } from '../../src/adapters/types.js';
import {
  backendSource,
  DEFAULT_SOURCE,
  type Decision,
  type DecisionSource,
  type PolicyKind,
  policySource,
} from '../../src/pipeline/decision.js';

/** A decision as a test writes it: flat, its source as the log's `by` text (`backend:mw`, `user:alice (expired)`). */
export type DecisionSketch = Omit<Partial<Decision>, 'source' | 'answer'> &
  Pick<BackendInfo, 'userId' | 'maxSessions' | 'unique'> & { readonly allow: boolean; readonly decidedBy: string };

function sourceOf(by: string): DecisionSource {
  const [, what, subject, detail] = /^([a-z-]+)(?::([^ ]+))?(?: \((.*)\))?$/.exec(by) ?? [];
  if (what === undefined) throw new Error(`not a by text: ${by}`);
  if (what === 'backend') return backendSource(subject!);
  if (what === 'default') return DEFAULT_SOURCE;
  return policySource(what as PolicyKind, detail, subject);
}

/** The decision a sketch stands for; the backend's answer carries the user id and limits given. */
export function sketched({ decidedBy, userId, maxSessions, unique, ...rest }: DecisionSketch): Decision {
  const said = userId !== undefined || maxSessions !== undefined || unique !== undefined;
  return {
    ttlSeconds: 300,
    ...rest,
    source: sourceOf(decidedBy),
    ...(said ? { answer: { userId, maxSessions, unique } } : {}),
  };
}
