import type { IncomingMessage } from 'node:http';
import type { Decision } from '../../pipeline/types.js';
import type { ViewerRequest } from '../../viewer.js';

/** How one kind of streaming server asks, and how it wants to be answered. */
export interface CallerDialect {
  readonly name: ViewerRequest['dialect'];
  readViewer(req: IncomingMessage, maxQueryBytes: number): ViewerRequest;
  answerHeaders(decision: Decision): Record<string, string>;
}

/** The headers every dialect answers with (SPEC §3). */
export function decisionHeaders(decision: Decision): Record<string, string> {
  const headers: Record<string, string> = {};
  if (decision.allow && decision.sessionName) headers['X-Session-Name'] = decision.sessionName;
  if (!decision.allow && decision.redirect) headers['X-Location'] = decision.redirect;
  return headers;
}
