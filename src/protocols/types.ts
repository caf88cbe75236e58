import type { IncomingMessage } from 'node:http';
import type { RequestProblem } from '../requestProblem.js';
import type { OutboundRequest } from '../adapters/transport.js';
import type { BackendInfo } from '../adapters/types.js';
import { textToHeader } from '../headerText.js';
import type { ProtocolName, ViewerRequest } from '../viewer.js';

/** The configured bounds a caller's request is read within (`limits.*`). */
export interface ReadLimits {
  readonly maxQueryBytes: number;
  readonly maxBodyBytes: number;
  readonly bodyTimeoutMs: number;
}

/** The body formats callers send their hooks in, by the content type they must carry. */
export type BodyFormat = 'json' | 'form';

/** A body as read: a JSON document, or the form's raw text (its raw pairs are the viewer's own query). */
export type ReadBody =
  | { readonly format: 'json'; readonly document: unknown }
  | { readonly format: 'form'; readonly text: string };

/** The body text a caller reads its answer from (SRS reads `0` as allow); ASCII. The status is always 200 or 403. */
export interface AnswerText {
  readonly allow: string;
  readonly deny: string;
}

/** What most streaming servers get: the status decides, the body is for people reading a log. */
export const PLAIN_TEXT: AnswerText = { allow: 'allow\n', deny: 'deny\n' };

/**
 * What a caller's answer is written from: the parts of the bridge's decision that go on the wire.
 * The pipeline's `Decision` is one; spelled here so that the wire edge, which the adapters use
 * too, depends on nothing behind it.
 */
export interface WireDecision {
  readonly allow: boolean;
  readonly ttlSeconds: number;
  readonly sessionName?: string;
  readonly redirect?: string;
  readonly answer?: Pick<BackendInfo, 'userId' | 'maxSessions' | 'unique'>;
}

/**
 * One kind of streaming server as a caller: where it asks, with which methods,
 * how its request names the viewer, and how it wants the answer written.
 * `body` set means the request has one (read, bounded and parsed before `read`).
 */
export interface CallerProtocol {
  readonly name: ProtocolName;
  /** `/auth`: the protocol answers `/auth` and `/auth/<route>`. */
  readonly prefix: string;
  readonly methods: readonly string[];
  readonly body?: BodyFormat;
  /** `caller` is the streaming server's socket address: with the session id it names a viewing session. */
  read(req: IncomingMessage, caller: string | undefined, limits: ReadLimits, body?: ReadBody): ViewerRequest;
  /** The dialect a request is in when `read` refused it or never ran; `name` when absent. */
  dialectOf?(req: IncomingMessage): ProtocolName;
  /**
   * The status a refusal of `status` is answered with in `dialect`, where the server reads some 4xx as its own fault;
   * `status` when absent.
   */
  refusedAs?(dialect: ProtocolName, status: RequestProblem['status']): RequestProblem['status'];
  /** The answer's headers (a fresh object: the writer adds to it). */
  answerHeaders(decision: WireDecision): Record<string, string>;
  readonly answerText: AnswerText;
}

/** How a check is put on the wire toward a middleware that speaks this protocol. */
export type RequestWriter = (base: URL, viewer: ViewerRequest) => OutboundRequest;

/** Sets a header from text, when there is text to set. */
export function setText(headers: Record<string, string>, name: string, text: string | undefined): void {
  const value = textToHeader(text);
  if (value !== undefined) headers[name] = value;
}

/** The headers every caller protocol answers with: the session's name on an allow, the redirect on a deny. */
export function decisionHeaders(decision: WireDecision): Record<string, string> {
  const headers: Record<string, string> = {};
  if (decision.allow) setText(headers, 'X-Session-Name', decision.sessionName);
  else setText(headers, 'X-Location', decision.redirect);
  return headers;
}
