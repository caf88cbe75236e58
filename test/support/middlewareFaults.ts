import type { BackendErrorKind } from '../../src/adapters/types.js';
import { answer, head, type FaultScript } from './faultServer.js';

/**
 * Every way a middleware answer goes wrong that the bridge must survive, with
 * what the bridge must make of it: an error of a given kind (so the route's
 * default, or the next backend, decides), or the allow or deny it really is.
 */
/** The trickles below take 10 s or more, past any timeoutMs the tests use. */
export interface MiddlewareFault {
  readonly name: string;
  /** `self`: the URL of the very request being answered. */
  readonly script: (self: string) => FaultScript;
  readonly expect:
    | { readonly error: BackendErrorKind }
    /** With no usable X-AuthDuration: the route's cache.allowTtl applies. */
    | { readonly outcome: 'allow' }
    | { readonly outcome: 'deny'; readonly redirectToSelf: true };
}

const bytes = (text: string | Buffer): FaultScript => ({ kind: 'bytes', bytes: text });
const thenClose = (text: string): FaultScript => ({ kind: 'bytes-then-close', bytes: text });
const many = (count: number, line: (i: number) => string) => Array.from({ length: count }, (_, i) => line(i));
const chunked = (body: string) => `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;

export const MIDDLEWARE_FAULTS: readonly MiddlewareFault[] = [
  { name: 'hang', script: () => ({ kind: 'hang' }), expect: { error: 'timeout' } },
  { name: 'reset', script: () => ({ kind: 'reset' }), expect: { error: 'reset' } },
  {
    name: 'server-error',
    script: () => bytes(answer('503 Service Unavailable', [], 'busy')),
    expect: { error: 'server-error' },
  },
  { name: 'garbage', script: () => thenClose('SSH-2.0-OpenSSH_9.6\r\n'), expect: { error: 'unparseable' } },
  { name: 'truncated-head', script: () => thenClose('HTTP/1.1 200 OK\r\nX-Session-Na'), expect: { error: 'reset' } },
  {
    name: 'truncated-body',
    script: () => thenClose(`${head('200 OK', ['Content-Length: 100'])}only ten b`),
    expect: { error: 'reset' },
  },
  { name: 'huge-body', script: () => bytes(answer('200 OK', [], 'x'.repeat(200_000))), expect: { error: 'too-large' } },
  {
    name: 'huge-chunked-body',
    script: () => bytes(head('200 OK', ['Transfer-Encoding: chunked']) + chunked('x'.repeat(200_000))),
    expect: { error: 'too-large' },
  },
  {
    name: 'huge-header',
    script: () => bytes(answer('200 OK', [`X-Session-Name: ${'n'.repeat(20_000)}`])),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'numerous-headers',
    script: () =>
      bytes(
        answer(
          '200 OK',
          many(3000, (i) => `X-H${i}: v`),
        ),
      ),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'numerous-tiny-headers',
    script: () =>
      bytes(
        answer(
          '200 OK',
          many(16_000, () => 'a:'),
        ),
      ),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'cr-in-value',
    script: () => bytes(answer('200 OK', ['X-Session-Name: a\rX-Location: http://evil.example/'])),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'lf-in-value',
    script: () => bytes(answer('200 OK', ['X-Session-Name: a\nX-Location: http://evil.example/'])),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'authduration-zero',
    script: () => bytes(answer('200 OK', ['X-AuthDuration: 0'])),
    expect: { outcome: 'allow' },
  },
  {
    name: 'authduration-negative',
    script: () => bytes(answer('200 OK', ['X-AuthDuration: -5'])),
    expect: { outcome: 'allow' },
  },
  {
    name: 'authduration-text',
    script: () => bytes(answer('200 OK', ['X-AuthDuration: forever'])),
    expect: { outcome: 'allow' },
  },
  {
    name: 'trickled-body',
    script: () => ({
      kind: 'trickle',
      head: head('200 OK', ['Content-Length: 40']),
      body: 'y'.repeat(40),
      everyMs: 250,
    }),
    expect: { error: 'timeout' },
  },
  {
    name: 'trickled-head',
    script: () => ({ kind: 'trickle', head: '', body: answer('200 OK', ['X-A: b']), everyMs: 250 }),
    expect: { error: 'timeout' },
  },
  {
    name: 'redirect-loop',
    script: (self) => bytes(answer('302 Found', [`Location: ${self}`])),
    expect: { outcome: 'deny', redirectToSelf: true },
  },
  {
    name: 'content-length-and-chunked',
    script: () => bytes(head('200 OK', ['Content-Length: 0', 'Transfer-Encoding: chunked']) + chunked('')),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'differing-content-lengths',
    script: () => bytes(`${head('200 OK', ['Content-Length: 2', 'Content-Length: 3'])}ok`),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'content-length-list',
    script: () => bytes(`${head('200 OK', ['Content-Length: 2, 2'])}ok`),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'transfer-encoding-twice',
    script: () => bytes(head('200 OK', ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked']) + chunked('')),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'transfer-encoding-not-chunked',
    script: () => thenClose(`${head('200 OK', ['Transfer-Encoding: gzip'])}abc`),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'chunked-in-http10',
    script: () => bytes(`HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked('')}`),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'folded-header',
    script: () => bytes(answer('200 OK', ['X-Session-Name: a', ' X-Location: http://evil.example/'])),
    expect: { error: 'bad-answer' },
  },
  {
    // undici's parser asserts on a status under 100 (an internal error, not a parse error) and never reads it.
    name: 'status-under-100',
    script: () => bytes(answer('020 OK', [], 'ok')),
    expect: { error: 'bad-answer' },
  },
  {
    name: 'interim-flood',
    script: () => bytes(`${'HTTP/1.1 103 Early Hints\r\n\r\n'.repeat(1000)}${answer('200 OK', [])}`),
    expect: { error: 'bad-answer' },
  },
];

/**
 * A fault never answered in time whatever the load (a hang, the trickles): it proves the timeout, so a test
 * can give it a short one and keep a generous one for the faults whose answer must be read in full.
 */
export const provesTimeout = (outcome: MiddlewareFault['expect']): boolean =>
  'error' in outcome && outcome.error === 'timeout';
