import type { RawRequest } from './rawExchange.js';

/** One hostile request and what the bridge owes it: at least `answers` answers, none of them 5xx, and a clean close. */
export interface FuzzCase {
  readonly kind: string;
  readonly request: RawRequest;
  readonly answers: number;
}

/** A small seeded generator (mulberry32): the same seed gives the same cases on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, low: number, high: number) => low + Math.floor(random() * (high - low + 1));

/** The headers the bridge reads from a caller (and the ones Node frames a request by). */
export const READ_HEADERS = [
  'X-Real-IP',
  'X-Session-ID',
  'X-Channel-ID',
  'X-Real-Path',
  'X-Real-UA',
  'X-Real-Host',
  'X-Real-Origin',
  'X-Original-URI',
  'Host',
  'Content-Type',
  'Content-Length',
  'Transfer-Encoding',
  'Connection',
  'Expect',
] as const;

const DECISION_PATHS = [
  '/auth',
  '/auth/default',
  '/auth/fl',
  '/flussonic',
  '/flussonic/fl',
  '/auth/nope',
  '/mediamtx',
  '/srs',
  '/nginx-rtmp',
];
const TOKENS = ['good', 'bad', 'broken', 'slow', 'unknown', 'x'.repeat(40)];
const ODD_IPS = [
  '0.0.0.0',
  '::',
  '255.255.255.255',
  '224.0.0.1',
  'ff02::1',
  '1.2.3.4.5',
  '01.02.03.04',
  '1.2.3',
  '999.1.1.1',
  '::ffff:1.2.3.4',
  '::ffff:0.0.0.0',
  'fe80::1%eth0',
  '[::1]',
  '1.2.3.4:80',
  '1.2.3.4, 5.6.7.8',
  '0x7f000001',
  '2130706433',
  '',
  ' ',
  '::1::',
  '1.2.3.-4',
  '203.0.113.7\t',
  `${'1'.repeat(300)}`,
  '127.1',
  '::ffff:127.0.0.1',
  '2001:db8::1',
  '192.0.2.66',
];
const PERCENT = [
  '%',
  '%G0',
  '%0',
  '%00',
  '%C0%80',
  '%ED%A0%80',
  '%FF',
  '%2525',
  '%E2%82',
  '%F0%9F%98%80',
  '+',
  '%2B',
  '%3D%3D',
  '%26',
  '%u0041',
  '%%',
  '%zz',
  '\u00e9',
];
const CONTROL = [
  ...Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)),
  '\x7f',
  '\x80',
  '\xff',
  '\r',
  '\n',
  '\r\n ',
  '\r\n\t',
];
const METHODS = [
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'PROPFIND',
  'M-SEARCH',
  'get',
  'GeT',
  'G\x00ET',
  'GETT',
  'X'.repeat(64),
];

function checkQuery(random: Random): string {
  const parts = [`token=${pick(random, TOKENS)}`];
  if (random() < 0.3) parts.push(`auth=${pick(random, ['testuser:87326848', 'a:b', ':', 'nouser'])}`);
  if (random() < 0.3) parts.push(`name=a00${int(random, 1, 3)}`, `ip=203.0.113.${int(random, 1, 254)}`);
  return parts.join('&');
}

function checkHeaders(random: Random): string[] {
  const headers = [`X-Real-IP: 203.0.113.${int(random, 1, 254)}`];
  if (random() < 0.7) headers.push(`X-Session-ID: ${int(random, 1, 1e6)}`);
  if (random() < 0.5) headers.push(`X-Real-Path: /play/a00${int(random, 1, 3)}/index.m3u8`);
  if (random() < 0.3) headers.push('X-Real-UA: VLC/3.0');
  return headers;
}

/** A well-formed check; `close` asks the bridge to close after answering it. */
function validCheck(random: Random, close: boolean): string {
  const path = pick(random, ['/auth', '/auth/default', '/auth/fl', '/flussonic', '/flussonic/fl', '/healthz']);
  const lines = [`GET ${path}?${checkQuery(random)} HTTP/1.1`, 'Host: bridge', ...checkHeaders(random)];
  if (close) lines.push('Connection: close');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const once = (kind: string, head: string, extra: Partial<RawRequest> = {}): FuzzCase => ({
  kind,
  request: { pieces: [head], halfClose: true, ...extra },
  answers: 1,
});

const builders: Record<string, (random: Random) => FuzzCase> = {
  valid: (random) => once('valid', validCheck(random, random() < 0.5)),
  'request-line': (random) => {
    const line = pick(random, [
      'GET',
      'GET /auth',
      'GET /auth HTTP/1.1 extra',
      'GET  /auth  HTTP/1.1',
      'GET\t/auth\tHTTP/1.1',
      'GET /auth HTTP/9.9',
      'GET /auth HTTP/1.1x',
      'GET /auth http/1.1',
      'GET http://bridge/auth?token=good HTTP/1.1',
      'GET * HTTP/1.1',
      'GET auth HTTP/1.1',
      'GET //auth HTTP/1.1',
      'GET /auth?token=good#frag HTTP/1.1',
      ' GET /auth HTTP/1.1',
      'GET /au\x00th HTTP/1.1',
      'GET /auth HTTP/1.1\r',
      'HELLO',
      '\x16\x03\x01\x02\x00\x01\x00',
      'GET /\xff\xfe HTTP/1.1',
      'GET /auth?\x01=\x02 HTTP/1.1',
      'GET /auth?a=b c HTTP/1.1',
      `GET /auth?${'&'.repeat(2000)} HTTP/1.1`,
    ]);
    return once('request-line', `${line}\r\nHost: bridge\r\n\r\n`);
  },
  'http-version': (random) =>
    once(
      'http-version',
      pick(random, [
        'GET /auth?token=good HTTP/1.0\r\n\r\n',
        'GET /auth?token=good\r\n\r\n',
        'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
        'GET /auth HTTP/1.2\r\n\r\n',
        'GET /auth HTTP/0.9\r\n\r\n',
        'GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
      ]),
    ),
  method: (random) =>
    once(
      'method',
      `${pick(random, METHODS)} ${pick(random, [...DECISION_PATHS, '/healthz', '/'])}?${checkQuery(random)} HTTP/1.1\r\nHost: bridge\r\nContent-Length: 0\r\n\r\n`,
    ),
  oversize: (random) => {
    const size = pick(random, [16_500, 20_000, 65_000, 200_000, 2_000_000]);
    const shape = pick(random, ['header', 'many', 'line', 'query']);
    if (shape === 'many') {
      // Many lines up to 200 KB (a count Node must not stop reading at); past that one line makes the point cheaper.
      const lines = Array.from(
        { length: Math.ceil(Math.min(size, 200_000) / 16) },
        (_, i) => `X-F${i}: ${'v'.repeat(8)}\r\n`,
      ).join('');
      return once('oversize', `GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\n${lines}\r\n`);
    }
    if (shape === 'line' || shape === 'query')
      return once(
        'oversize',
        `GET /auth?${shape === 'query' ? 'token=' : ''}${'t'.repeat(size)} HTTP/1.1\r\nHost: bridge\r\n\r\n`,
      );
    return once(
      'oversize',
      `GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\n${pick(random, READ_HEADERS)}: ${'u'.repeat(size)}\r\n\r\n`,
    );
  },
  'duplicate-headers': (random) => {
    const name = pick(random, READ_HEADERS);
    const values =
      name === 'Content-Length'
        ? ['0', pick(random, ['0', '5', '-1', 'abc'])]
        : name === 'Transfer-Encoding'
          ? ['chunked', pick(random, ['chunked', 'gzip', 'identity'])]
          : ['203.0.113.7', pick(random, ['198.51.100.1', '203.0.113.7', 'x', ''])];
    const body = name === 'Transfer-Encoding' ? '0\r\n\r\n' : '';
    return once(
      'duplicate-headers',
      `GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\n${values.map((value) => `${name}: ${value}\r\n`).join('')}\r\n${body}`,
    );
  },
  'control-bytes': (random) => {
    const name = pick(random, READ_HEADERS);
    const byte = pick(random, CONTROL);
    const inName = random() < 0.2;
    const header = inName
      ? `${name.slice(0, 3)}${byte}${name.slice(3)}: v`
      : `${name}: ${random() < 0.5 ? byte : `a${byte}b`}`;
    return once(
      'control-bytes',
      `GET /auth?token=good HTTP/1.1\r\n${name === 'Host' ? '' : 'Host: bridge\r\n'}${header}\r\n\r\n`,
    );
  },
  'odd-ip': (random) => {
    const ip = pick(random, ODD_IPS);
    return random() < 0.5
      ? once('odd-ip', `GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nX-Real-IP: ${ip}\r\n\r\n`)
      : once(
          'odd-ip',
          `GET /flussonic?name=a001&token=good&ip=${encodeURIComponent(ip)} HTTP/1.1\r\nHost: bridge\r\n\r\n`,
        );
  },
  percent: (random) => {
    const odd = pick(random, PERCENT);
    const where = pick(random, ['token', 'auth', 'name', 'key', 'path', 'route', 'real-path']);
    if (where === 'path') return once('percent', `GET /au${odd}th?token=good HTTP/1.1\r\nHost: bridge\r\n\r\n`);
    if (where === 'route') return once('percent', `GET /auth/${odd}?token=good HTTP/1.1\r\nHost: bridge\r\n\r\n`);
    if (where === 'real-path')
      return once(
        'percent',
        `GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nX-Real-Path: /play/${odd}/index.m3u8\r\n\r\n`,
      );
    return once(
      'percent',
      `GET /${random() < 0.5 ? 'auth' : 'flussonic'}?${where}=${odd}&token=good${odd} HTTP/1.1\r\nHost: bridge\r\n\r\n`,
    );
  },
  pipelined: (random) => {
    const count = int(random, 1, 10);
    const checks = Array.from({ length: count }, () => validCheck(random, false));
    const garbage = random() < 0.7;
    const tail = garbage
      ? pick(random, [
          'GARBAGE\r\n\r\n',
          'GET /auth HTTP/1.1\r\nX-Real-IP: 1.2.3.4\rX\r\n\r\n',
          'GET / HTTP/9\r\n\r\n',
          '\x00\x01\x02\r\n\r\n',
        ])
      : validCheck(random, true);
    return {
      kind: 'pipelined',
      request: { pieces: [checks.join('') + tail], halfClose: random() < 0.3 },
      answers: count + 1,
    };
  },
  'slow-head': (random) => {
    const head =
      random() < 0.7
        ? validCheck(random, true)
        : `GET /auth?token=${pick(random, PERCENT)} HTTP/1.1\r\nHost: bridge\r\nX-Real-IP: ${pick(random, ODD_IPS)}\r\nConnection: close\r\n\r\n`;
    const cuts = Array.from({ length: int(random, 1, 5) }, () => int(random, 1, head.length - 1)).sort((a, b) => a - b);
    const pieces = [0, ...cuts]
      .map((start, i, all) => head.slice(start, all[i + 1] ?? head.length))
      .filter((piece) => piece.length > 0);
    return {
      kind: 'slow-head',
      request: { pieces, pauseMs: int(random, 5, 40), halfClose: random() < 0.5 },
      answers: 1,
    };
  },
  'half-close': (random) => {
    const head = validCheck(random, false);
    return once('half-close', random() < 0.5 ? head : head.slice(0, int(random, 1, head.length - 3)));
  },
  'post-body': (random) => {
    const path = pick(random, ['/mediamtx', '/srs', '/nginx-rtmp', '/auth', '/flussonic']);
    const body = pick(random, [
      '{"user":"u","password":"p","token":"good","ip":"203.0.113.7","action":"read","path":"a001","protocol":"hls","id":"1","query":"token=good"}',
      '{"action":"on_play","client_id":"1","ip":"203.0.113.7","app":"live","stream":"a001","param":"?token=good"}',
      'call=play&addr=203.0.113.7&clientid=1&app=live&name=a001&token=good',
      '{"action":"publish"}',
      '{',
      '[]',
      'null',
      '0',
      '{"ip":{"a":1}}',
      '{"__proto__":{"x":1}}',
      'a=%&b=%G0',
      '\x00\x01\x02',
      'x'.repeat(int(random, 17_000, 70_000)),
    ]);
    const type = pick(random, [
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/json; charset=utf-16',
      '',
      'multipart/form-data; boundary=x',
    ]);
    const framing = pick(random, ['length', 'chunked', 'short', 'long']);
    const typeLine = type ? `Content-Type: ${type}\r\n` : '';
    if (framing === 'chunked')
      return once(
        'post-body',
        `POST ${path} HTTP/1.1\r\nHost: bridge\r\n${typeLine}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      );
    const declared =
      framing === 'short' ? Math.max(0, body.length - 3) : framing === 'long' ? body.length + 10 : body.length;
    return once(
      'post-body',
      `POST ${path} HTTP/1.1\r\nHost: bridge\r\n${typeLine}Content-Length: ${declared}\r\n\r\n${body}`,
    );
  },
  framing: (random) =>
    once(
      'framing',
      pick(random, [
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nContent-Length: -1\r\n\r\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nContent-Length: 99999999999999999999\r\n\r\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nContent-Length: 1 0\r\n\r\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nContent-Length: 10\r\n\r\nabc',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\n Transfer-Encoding: chunked\r\n\r\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
        'GET /auth?token=good HTTP/1.1\nHost: bridge\n\n',
        'GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\n\n',
      ]),
    ),
  'expect-upgrade': (random) =>
    once(
      'expect-upgrade',
      `GET /auth?token=good HTTP/1.1\r\nHost: bridge\r\n${pick(random, ['Expect: 100-continue', 'Expect: 200-ok', 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13', 'Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA', 'Connection: keep-alive, close', 'Connection: \x00'])}\r\n\r\n`,
    ),
};

/** Every kind of case the generator makes, in a fixed order (the seed picks among them). */
export const FUZZ_KINDS = Object.keys(builders);

/** `count` hostile requests drawn from `seed`, made one at a time (a 2 MB head is not kept longer than its case). */
export function* fuzzCases(count: number, seed: number): Generator<FuzzCase> {
  const random = seededRandom(seed);
  for (let n = 0; n < count; n += 1) yield builders[pick(random, FUZZ_KINDS)]!(random);
}
