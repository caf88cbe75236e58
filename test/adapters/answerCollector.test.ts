import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Dispatcher } from 'undici';
import { AnswerCollector, MAX_RESENDS } from '../../src/adapters/answerCollector.js';
import { ReusedConnectionLost } from '../../src/adapters/boundedSocket.js';
import { MAX_ANSWER_BYTES, type MiddlewareAnswer, TransportError } from '../../src/adapters/exchange.js';

/** What undici hands a dispatch handler to end its request with; here it only records the reason. */
function fakeController() {
  const aborted: Error[] = [];
  return {
    aborted,
    controller: {
      aborted: false,
      paused: false,
      reason: null,
      abort: (reason: Error) => void aborted.push(reason),
      pause: () => undefined,
      resume: () => undefined,
    },
  };
}

function collecting(options: { keepBody?: boolean; timeoutMs?: number; signal?: AbortSignal } = {}) {
  const outcome: { answer?: MiddlewareAnswer; failure?: unknown } = {};
  const collector = new AnswerCollector(
    (answer) => (outcome.answer = answer),
    (failure) => (outcome.failure = failure),
    options.timeoutMs ?? 1000,
    options.keepBody ?? true,
    options.signal,
  );
  return { collector, outcome, ...fakeController() };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('AnswerCollector', () => {
  it('hands over status, headers and the body in one piece, and leaves no timer behind', () => {
    const { collector, controller, outcome } = collecting();
    collector.onRequestStart(controller);
    collector.onResponseStart(controller, 200, { 'x-session-name': 'alice' });
    collector.onResponseData(controller, Buffer.from('o'));
    collector.onResponseData(controller, Buffer.from('k'));
    collector.onResponseEnd();
    expect(outcome.answer).toMatchObject({ status: 200, headers: { 'x-session-name': 'alice' } });
    expect(outcome.answer!.body.toString()).toBe('ok');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reads an interim answer (103) through to the real one', () => {
    const { collector, controller, outcome } = collecting();
    collector.onRequestStart(controller);
    collector.onResponseStart(controller, 103, { link: '</a.css>' });
    collector.onResponseStart(controller, 403, {});
    collector.onResponseEnd();
    expect(outcome.answer).toMatchObject({ status: 403, headers: {} });
  });

  it('counts the body no rule reads without keeping it, and still refuses one too large', () => {
    const kept = collecting({ keepBody: false });
    kept.collector.onRequestStart(kept.controller);
    kept.collector.onResponseStart(kept.controller, 200, {});
    kept.collector.onResponseData(kept.controller, Buffer.from('ignored'));
    kept.collector.onResponseEnd();
    expect(kept.outcome.answer!.body.length).toBe(0);

    const huge = collecting({ keepBody: false });
    huge.collector.onRequestStart(huge.controller);
    huge.collector.onResponseStart(huge.controller, 200, {});
    huge.collector.onResponseData(huge.controller, Buffer.alloc(MAX_ANSWER_BYTES));
    expect(huge.aborted).toEqual([]);
    huge.collector.onResponseData(huge.controller, Buffer.alloc(1));
    expect(huge.aborted).toMatchObject([{ kind: 'too-large' }]);
  });

  it('refuses a declared length over the bound before any of the body arrives', () => {
    const { collector, controller, aborted } = collecting();
    collector.onRequestStart(controller);
    collector.onResponseStart(controller, 200, { 'content-length': String(MAX_ANSWER_BYTES + 1) });
    expect(aborted).toMatchObject([
      { kind: 'too-large', message: `answer of 65537 bytes exceeds ${MAX_ANSWER_BYTES}` },
    ]);
  });

  it('ends a request whose answer is not complete within timeoutMs, head and body together', () => {
    const { collector, controller, aborted } = collecting({ timeoutMs: 1000 });
    collector.onRequestStart(controller);
    collector.onResponseStart(controller, 200, {});
    vi.advanceTimersByTime(999);
    // A trickled body does not restart the deadline.
    collector.onResponseData(controller, Buffer.from('y'));
    expect(aborted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(aborted).toMatchObject([{ kind: 'timeout' }]);
  });

  it('gives up at once on a request still waiting for a connection, and ends it once undici starts it', () => {
    const { collector, controller, aborted, outcome } = collecting({ timeoutMs: 500 });
    vi.advanceTimersByTime(500);
    expect(outcome.failure).toBeInstanceOf(TransportError);
    expect(outcome.failure).toMatchObject({ kind: 'timeout' });
    collector.onRequestStart(controller);
    expect(aborted).toMatchObject([{ kind: 'timeout' }]);
  });

  it('is cancelled by its signal, and stops listening to it once settled', () => {
    const cancel = new AbortController();
    const first = collecting({ signal: cancel.signal });
    first.collector.onRequestStart(first.controller);
    cancel.abort();
    expect(first.aborted).toMatchObject([{ kind: 'cancelled' }]);

    const later = new AbortController();
    const second = collecting({ signal: later.signal });
    second.collector.onRequestStart(second.controller);
    second.collector.onResponseStart(second.controller, 200, {});
    second.collector.onResponseEnd();
    later.abort();
    expect(second.aborted).toEqual([]);
  });

  it('passes undici errors on once, by their kind, and ignores what comes after it has settled', () => {
    const { collector, controller, outcome } = collecting();
    collector.onRequestStart(controller);
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    collector.onResponseError(controller, reset);
    collector.onResponseEnd();
    // Passed on in the bridge's words: an error kind, never undici's message.
    expect(outcome.failure).toBeInstanceOf(TransportError);
    expect(outcome.failure).toMatchObject({ kind: 'reset', message: 'connection failed (UND_ERR_SOCKET)' });
    expect(vi.getTimerCount()).toBe(0);
  });

  describe('after a kept-alive connection was lost under the request', () => {
    /** A collector whose resends go to a dispatcher that only counts them. */
    function resending(timeoutMs = 1000) {
      const outcome: { answer?: MiddlewareAnswer; failure?: unknown } = {};
      const resent: unknown[] = [];
      const dispatcher = { dispatch: (request: unknown) => resent.push(request) } as unknown as Dispatcher;
      const request = { origin: 'http://127.0.0.1:1', path: '/check', method: 'GET' } as const;
      const collector = new AnswerCollector(
        (answer) => (outcome.answer = answer),
        (failure) => (outcome.failure = failure),
        timeoutMs,
        true,
        undefined,
        dispatcher,
        request,
      );
      return { collector, outcome, resent, request, ...fakeController() };
    }

    it('sends the same request again, and the answer that comes then is the answer', async () => {
      const { collector, controller, outcome, resent, request } = resending();
      collector.onRequestStart(controller);
      collector.onResponseError(controller, new ReusedConnectionLost());
      await Promise.resolve();
      expect(resent).toEqual([request]);
      expect(outcome).toEqual({});
      collector.onRequestStart(controller);
      collector.onResponseStart(controller, 200, {});
      collector.onResponseEnd();
      expect(outcome.answer).toMatchObject({ status: 200 });
    });

    it(`sends it at most ${MAX_RESENDS} times, then fails it as a reset`, async () => {
      const { collector, controller, outcome, resent } = resending();
      for (let lost = 0; lost <= MAX_RESENDS; lost++) {
        collector.onRequestStart(controller);
        collector.onResponseError(controller, new ReusedConnectionLost());
        await Promise.resolve();
      }
      expect(resent).toHaveLength(MAX_RESENDS);
      expect(outcome.failure).toMatchObject({ kind: 'reset' });
    });

    it('keeps the one deadline: a resend does not start the time over', async () => {
      const { collector, controller, outcome, resent } = resending(1000);
      collector.onRequestStart(controller);
      vi.advanceTimersByTime(900);
      collector.onResponseError(controller, new ReusedConnectionLost());
      await Promise.resolve();
      expect(resent).toHaveLength(1);
      vi.advanceTimersByTime(100);
      expect(outcome.failure).toMatchObject({ kind: 'timeout' });
    });

    it('does not send again once the request was given up meanwhile', async () => {
      const { collector, controller, outcome, resent } = resending();
      collector.onRequestStart(controller);
      collector.onResponseError(controller, new ReusedConnectionLost());
      collector.giveUp(new TransportError('cancelled', 'no longer needed'));
      await Promise.resolve();
      expect(resent).toEqual([]);
      expect(outcome.failure).toMatchObject({ kind: 'cancelled' });
    });

    it('fails any other error at once, without sending again', async () => {
      const { collector, controller, outcome, resent } = resending();
      collector.onRequestStart(controller);
      collector.onResponseError(controller, Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
      await Promise.resolve();
      expect(resent).toEqual([]);
      expect(outcome.failure).toMatchObject({ kind: 'reset' });
    });
  });
});
