import type { IncomingMessage } from 'node:http';
import { textToHeader } from '../../headerText.js';
import type { Decision } from '../../pipeline/types.js';
import type { ViewerRequest } from '../../viewer.js';

/** How one kind of streaming server asks, and how it wants to be answered. */
export interface CallerDialect {
  readonly name: ViewerRequest['dialect'];
  readViewer(req: IncomingMessage, maxQueryBytes: number): ViewerRequest;
  answerHeaders(decision: Decision): Record<string, string>;
}

/** Sets a header from text, when there is text to set. */
export function setText(headers: Record<string, string>, name: string, text: string | undefined): void {
  const value = textToHeader(text);
  if (value !== undefined) headers[name] = value;
}

/** The headers every dialect answers with (SPEC §3). */
export function decisionHeaders(decision: Decision): Record<string, string> {
  const headers: Record<string, string> = {};
  if (decision.allow) setText(headers, 'X-Session-Name', decision.sessionName);
  else setText(headers, 'X-Location', decision.redirect);
  return headers;
}
