import winston from 'winston';
import type { LogConfig } from './config/schema.js';
import { type BatchedStdout, sharedStdout } from './stdoutBatch.js';

export type Logger = winston.Logger;

function textLine(info: winston.Logform.TransformableInfo): string {
  const { timestamp, level, message, ...fields } = info;
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    // Quoted (and so escaped) unless plain: a viewer-supplied value must not smuggle terminal escapes.
    .map(
      ([key, value]) =>
        `${key}=${typeof value === 'string' && /^[\x21-\x7e]+$/.test(value) ? value : JSON.stringify(value)}`,
    );
  return [timestamp, level, message, ...pairs].join(' ');
}

/** What a decision line says, in the order it says it. */
export interface DecisionFields {
  readonly route: string;
  readonly dialect: string;
  readonly caller?: string;
  readonly channel?: string;
  readonly ip?: string;
  readonly session?: string;
  /** A fingerprint, never the token itself. */
  readonly token?: string;
  readonly login?: string;
  readonly decision: 'allow' | 'deny' | 'refused';
  readonly by?: string;
  readonly cache?: 'hit' | 'stale';
  readonly status: number;
  readonly reason?: string;
  /** The caller hung up before the answer was ready. */
  readonly undelivered?: true;
  readonly latencyMs: number;
}

/** Writes one decision line: the bridge's busiest output. */
export type DecisionLog = (fields: DecisionFields) => void;

export interface Logging {
  readonly log: Logger;
  readonly decisions: DecisionLog;
  /** Changes the level of every line, decision lines included (a config reload). */
  setLevel(level: LogConfig['level']): void;
}

/**
 * Ends the log and exits with `code` once its last lines are written, or after
 * half a second if it never finishes (a stalled log reader must not keep the
 * process alive).
 */
export function exitOnceFlushed(log: Logger, code: number): void {
  log.on('finish', () => process.exit(code));
  log.end();
  setTimeout(() => process.exit(code), 500).unref();
}

/**
 * A request refused before it could name a viewer (bad path, method or HTTP): a decision line of its own, with the
 * caller's dialect when the request showed it.
 */
export function logRefused(log: Logger, status: number, reason: string, dialect?: string): void {
  log.info(
    'decision',
    dialect === undefined ? { decision: 'refused', status, reason } : { dialect, decision: 'refused', status, reason },
  );
}

/** Decision lines through a winston logger like any other line (for loggers built elsewhere, as in tests). */
export function decisionsThrough(log: Logger): DecisionLog {
  return (fields) => {
    if (log.isInfoEnabled()) log.info('decision', fields);
  };
}

const jsonLine = (info: winston.Logform.TransformableInfo) => JSON.stringify(info);

/** A constant piece of a decision line, as the bytes it is written as. */
const piece = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/** `head` (`,"name":`), then `text` as JSON writes it; nothing for no text. */
function writePair(out: BatchedStdout, head: Uint8Array, text: string | undefined): void {
  if (text === undefined) return;
  out.chunk(head);
  if (!out.quotedPlain(text)) out.line(JSON.stringify(text));
}

/** Where a number's text goes: the batch itself, or a string (`jsonNumber`). */
interface NumberOut {
  /** A whole number from 0 to MAX_HUNDREDTHS, in decimal digits. */
  digits(whole: number): void;
  ascii(text: string): void;
}

const MAX_HUNDREDTHS = 1e12;

/**
 * A number as JSON writes it (NaN and the infinities as null), written piece by piece: a latency
 * or status that is whole hundredths goes as digits, with no string made (converting a fraction
 * to its shortest decimal costs more than the rest of a decision line, and its text was garbage).
 */
function writeJsonNumber(out: NumberOut, value: number): void {
  const hundredths = Math.round(value * 100);
  // Up to ten billion a hundredth is thousands of doubles apart, so its shortest decimal is its own;
  // below zero there is a sign to write.
  if (!(hundredths >= 0 && hundredths < MAX_HUNDREDTHS && hundredths / 100 === value)) {
    out.ascii(Number.isFinite(value) ? String(value) : 'null');
    return;
  }
  const whole = Math.trunc(hundredths / 100);
  const rest = hundredths - whole * 100;
  out.digits(whole);
  if (rest === 0) return;
  out.ascii(rest < 10 ? '.0' : '.');
  out.digits(rest % 10 === 0 ? rest / 10 : rest);
}

/** As JSON writes a number, as text. */
export function jsonNumber(value: number): string {
  let text = '';
  writeJsonNumber(
    {
      digits: (whole) => {
        text += String(whole);
      },
      ascii: (piece) => {
        text += piece;
      },
    },
    value,
  );
  return text;
}

/**
 * Distinct values a field of few values (route, dialect, caller, decision, `by`, cache) keeps
 * encoded, with its head, before it starts over: `by` can name a local user.
 */
const KEPT_PAIRS = 1024;
/** Longest pair kept encoded, in bytes: a longer one (a long user name in `by`) is written as any value is. */
const LONGEST_KEPT_PAIR = 256;

/**
 * A field whose values come back line after line: each value's `head` and JSON text are encoded
 * once and copied in one piece after that (a walk of them was the larger part of a line).
 */
function keptPairs(head: string): (out: BatchedStdout, text: string | undefined) => void {
  const headBytes = piece(head);
  const kept = new Map<string, Uint8Array>();
  return (out, text) => {
    if (text === undefined) return;
    let pair = kept.get(text);
    if (pair === undefined) {
      pair = Buffer.from(`${head}${JSON.stringify(text)}`, 'utf8');
      if (pair.length > LONGEST_KEPT_PAIR) {
        writePair(out, headBytes, text);
        return;
      }
      if (kept.size >= KEPT_PAIRS) kept.clear();
      kept.set(text, pair);
    }
    out.chunk(pair);
  };
}

const KEPT = {
  route: keptPairs('{"level":"info","message":"decision","route":'),
  dialect: keptPairs(',"dialect":'),
  caller: keptPairs(',"caller":'),
  decision: keptPairs(',"decision":'),
  by: keptPairs(',"by":'),
  cache: keptPairs(',"cache":'),
};

/** The heads of the viewer's own fields, and of the numbers. */
const HEAD = {
  channel: piece(',"channel":'),
  ip: piece(',"ip":'),
  session: piece(',"session":'),
  token: piece(',"token":'),
  login: piece(',"login":'),
  status: piece(',"status":'),
  reason: piece(',"reason":'),
  undelivered: piece(',"undelivered":true'),
  latencyMs: piece(',"latencyMs":'),
};

/**
 * The line `jsonLine` writes for a decision, field by field, straight into the batch:
 * JSON.stringify of the whole object costs more than the rest of a cached decision. `end` is
 * the line's last bytes, its timestamp (`,"timestamp":"…"}` and the newline).
 */
function writeJsonDecisionLine(f: DecisionFields, end: Uint8Array, out: BatchedStdout): void {
  KEPT.route(out, f.route);
  KEPT.dialect(out, f.dialect);
  KEPT.caller(out, f.caller);
  writePair(out, HEAD.channel, f.channel);
  writePair(out, HEAD.ip, f.ip);
  writePair(out, HEAD.session, f.session);
  writePair(out, HEAD.token, f.token);
  writePair(out, HEAD.login, f.login);
  KEPT.decision(out, f.decision);
  KEPT.by(out, f.by);
  KEPT.cache(out, f.cache);
  out.chunk(HEAD.status);
  writeJsonNumber(out, f.status);
  writePair(out, HEAD.reason, f.reason);
  if (f.undelivered) out.chunk(HEAD.undelivered);
  out.chunk(HEAD.latencyMs);
  writeJsonNumber(out, f.latencyMs);
  out.chunk(end);
}

/**
 * A decision line's end at the current time, as bytes made once per millisecond (`timestamp` says when that changes).
 */
function lineEnds(timestamp: () => string): () => Uint8Array {
  let text = '';
  let end = piece('');
  return () => {
    const now = timestamp();
    if (now !== text) {
      text = now;
      end = piece(`,"timestamp":"${now}"}\n`);
    }
    return end;
  };
}

/**
 * The current time as winston writes it (`toISOString`), formatted once per millisecond however many
 * lines share it, and from a date formatted once per second: formatting a date costs as much as
 * the rest of a decision line, and at a line or two per millisecond that was every line.
 */
export function isoTimestamps(now: () => number = Date.now): () => string {
  let at = Number.NaN;
  let text = '';
  let second = Number.NaN;
  /** `2026-12-01T19:27:31.`, the part every millisecond of that second shares. */
  let secondText = '';
  return () => {
    const ms = now();
    if (ms === at) return text;
    at = ms;
    const inSecond = ms - Math.floor(ms / 1000) * 1000;
    if (ms - inSecond !== second) {
      second = ms - inSecond;
      secondText = new Date(second).toISOString().slice(0, 20);
    }
    text = `${secondText}${inSecond < 10 ? '00' : inSecond < 100 ? '0' : ''}${inSecond}Z`;
    return text;
  };
}

const timestamp = isoTimestamps();
const lineEnd = lineEnds(timestamp);

/**
 * Logs go to stdout, one line each; JSON for log shippers, text for people.
 * Decision lines are formatted the same way but skip winston's stream
 * machinery, which costs more per line than a cached decision does.
 */
export function createLogging(config: LogConfig): Logging {
  const out = sharedStdout();
  const line = config.format === 'json' ? jsonLine : textLine;
  const log = winston.createLogger({
    level: config.level,
    // Plain JSON.stringify: winston's json() sorts keys, which costs more than the rest of a cached decision.
    format: winston.format.combine(winston.format.timestamp(), winston.format.printf(line)),
    transports: [new winston.transports.Stream({ stream: out.stream() })],
  });
  // The latest logger says it (a reload builds another): the batch is the process's one.
  out.onResumed = (dropped) => log.warn('log lines dropped: stdout was not read', { dropped });
  const writeDecision =
    config.format === 'json'
      ? (fields: DecisionFields) => writeJsonDecisionLine(fields, lineEnd(), out)
      : (fields: DecisionFields) =>
          out.line(`${textLine({ level: 'info', message: 'decision', ...fields, timestamp: timestamp() })}\n`);
  let decisionsOn = log.isInfoEnabled();
  const decisions: DecisionLog = (fields) => {
    if (decisionsOn) writeDecision(fields);
  };
  const setLevel = (level: LogConfig['level']) => {
    log.level = level;
    decisionsOn = log.isInfoEnabled();
  };
  return { log, decisions, setLevel };
}

export function createLogger(config: LogConfig): Logger {
  return createLogging(config).log;
}
