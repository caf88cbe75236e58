import type { Dispatcher } from 'undici';
import { ReusedConnectionLost } from './boundedSocket.js';
import { MAX_ANSWER_BYTES, TransportError, type MiddlewareAnswer } from './exchange.js';
import { classify } from './transportErrors.js';

/** The body of an answer no rule reads: its bytes were counted and dropped. */
const UNREAD = Buffer.alloc(0);

const NO_HEADERS_YET: MiddlewareAnswer['headers'] = Object.freeze({});

const NO_LONGER_NEEDED = () => new TransportError('cancelled', 'no longer needed');

/**
 * Times one request is sent again after a kept-alive connection was lost under it. Each loss takes
 * a connection that carried an answer before, and the pool holds few; a fresh connection is never
 * lost this way (it fails as `reset`), so a retry on one ends it. The bound is for a pool of many
 * connections all closed as idle at once.
 */
export const MAX_RESENDS = 3;

function timedOut(collector: AnswerCollector): void {
  collector.giveUp(new TransportError('timeout', 'no complete answer within timeoutMs'));
}

/**
 * One middleware request as undici's own dispatch handler: the answer's
 * head, its body (kept, or only counted when nothing reads it) and the end,
 * straight from the parser's callbacks. undici's `request()` would wrap the
 * same callbacks in an async resource, a readable stream and a promise, and
 * reading that stream takes an async iterator: on a miss, that is most of
 * the garbage and several microtask hops.
 *
 * The whole answer is due within `timeoutMs` of the send, connecting
 * included: undici's headersTimeout starts only once the request is written
 * and its bodyTimeout restarts with every chunk, so a head or body trickled
 * in would outlast both. One native timer per request does it. `signal` (the
 * route's budget, or the race of `mode: any`) cancels; nothing is allocated
 * for it beyond its listener.
 *
 * A request lost with a kept-alive connection the middleware closed as it
 * went out (boundedSocket.ts) is sent again, within the same `timeoutMs`:
 * the middleware never answered it, and the viewer is not to be denied for
 * the middleware's idle timeout.
 */
export class AnswerCollector implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  /** Set once the caller has its answer or failure: later callbacks change nothing. */
  private settled = false;
  /** Why the request was given up before undici handed over its abort, to be passed on when it does. */
  private givenUp: TransportError | undefined;
  private readonly timer: NodeJS.Timeout;
  private status = 0;
  /** Shared until the answer's own come (an object per request only to be replaced was garbage on every miss). */
  private headers: MiddlewareAnswer['headers'] = NO_HEADERS_YET;
  private chunks: Buffer[] | undefined;
  private size = 0;
  private resends = 0;

  /** `dispatcher`, `request`: where the request goes again, and what it is, after a kept-alive connection was lost under it. */
  constructor(
    private readonly resolve: (answer: MiddlewareAnswer) => void,
    private readonly reject: (failure: TransportError) => void,
    timeoutMs: number,
    private readonly keepBody: boolean,
    private readonly signal: AbortSignal | undefined,
    private readonly dispatcher?: Dispatcher,
    private readonly request?: Dispatcher.DispatchOptions,
  ) {
    // The collector itself is the timer's argument and the signal's listener: no closure per request for either.
    this.timer = setTimeout(timedOut, timeoutMs, this);
    signal?.addEventListener('abort', this);
  }

  /** The signal aborted (EventTarget calls a listener object's `handleEvent`). */
  handleEvent(): void {
    this.giveUp(NO_LONGER_NEEDED());
  }

  /** Ends the request on the bridge's side: the caller hears at once, the connection is closed when undici allows. */
  giveUp(reason: TransportError): void {
    if (this.settled) return;
    if (this.controller) this.controller.abort(reason);
    else {
      // Still waiting for a connection: undici hands over its abort only when the request is written.
      this.givenUp = reason;
      this.fail(reason);
    }
  }

  private cleanUp(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this);
  }

  private fail(failure: unknown): void {
    if (this.settled) return;
    this.cleanUp();
    this.reject(classify(failure));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.givenUp) controller.abort(this.givenUp);
    else this.controller = controller;
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // An interim answer (102, 103): the real one follows.
    if (status < 200) return;
    this.status = status;
    this.headers = headers;
    const declared = Number(headers['content-length']);
    if (declared > MAX_ANSWER_BYTES)
      controller.abort(new TransportError('too-large', `answer of ${declared} bytes exceeds ${MAX_ANSWER_BYTES}`));
    else if (this.keepBody) this.chunks = [];
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > MAX_ANSWER_BYTES)
      controller.abort(new TransportError('too-large', `answer exceeds ${MAX_ANSWER_BYTES} bytes`));
    else this.chunks?.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.cleanUp();
    const { chunks } = this;
    const body = chunks === undefined ? UNREAD : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size);
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (error instanceof ReusedConnectionLost && this.request !== undefined && this.resends < MAX_RESENDS) {
      this.resends += 1;
      this.controller = undefined;
      // After undici is done with the lost connection: the request goes to whichever connection it has next.
      queueMicrotask(() => {
        if (!this.settled) this.dispatcher!.dispatch(this.request!, this);
      });
      return;
    }
    this.fail(error);
  }
}
