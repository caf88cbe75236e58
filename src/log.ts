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

/** A request refused before it could name a viewer (bad path, method or HTTP): a decision line of its own. */
export function logRefused(log: Logger, status: number, reason: string): void {
  log.info('decision', { decision: 'refused', status, reason });
}

/** Decision lines through a winston logger like any other line (for loggers built elsewhere, as in tests). */
export function decisionsThrough(log: Logger): DecisionLog {
  return (fields) => {
    if (log.isInfoEnabled()) log.info('decision', fields);
  };
}

const jsonLine = (info: winston.Logform.TransformableInfo) => JSON.stringify(info);

/** `head` (`,"name":`), then `text` as JSON writes it; nothing for no text. */
function writePair(out: BatchedStdout, head: string, text: string | undefined): void {
  if (text === undefined) return;
  out.ascii(head);
  if (!out.quotedPlain(text)) out.line(JSON.stringify(text));
}

/**
 * A number of hundredths as String writes it (`12`, `0.5`, `0.25`), from whole numbers: converting a
 * fraction to its shortest decimal costs more than the rest of a decision line (a latency is one).
 */
function hundredthsText(hundredths: number): string {
  const whole = Math.trunc(hundredths / 100);
  const rest = hundredths - whole * 100;
  if (rest === 0) return String(whole);
  return rest % 10 === 0 ? `${whole}.${rest / 10}` : `${whole}.${rest < 10 ? '0' : ''}${rest}`;
}

const MAX_HUNDREDTHS = 1e12;

/** As JSON writes a number: NaN and the infinities become null. */
export function jsonNumber(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  const hundredths = Math.round(value * 100);
  // Up to ten billion a hundredth is thousands of doubles apart, so its shortest decimal is its own;
  // below zero there is a sign to write.
  return hundredths >= 0 && hundredths < MAX_HUNDREDTHS && hundredths / 100 === value
    ? hundredthsText(hundredths)
    : String(value);
}

/**
 * The line `jsonLine` writes for a decision, field by field, straight into the batch:
 * JSON.stringify of the whole object costs more than the rest of a cached decision.
 */
function writeJsonDecisionLine(f: DecisionFields, at: string, out: BatchedStdout): void {
  writePair(out, '{"level":"info","message":"decision","route":', f.route);
  writePair(out, ',"dialect":', f.dialect);
  writePair(out, ',"caller":', f.caller);
  writePair(out, ',"channel":', f.channel);
  writePair(out, ',"ip":', f.ip);
  writePair(out, ',"session":', f.session);
  writePair(out, ',"token":', f.token);
  writePair(out, ',"login":', f.login);
  writePair(out, ',"decision":', f.decision);
  writePair(out, ',"by":', f.by);
  writePair(out, ',"cache":', f.cache);
  out.ascii(',"status":');
  out.ascii(jsonNumber(f.status));
  writePair(out, ',"reason":', f.reason);
  if (f.undelivered) out.ascii(',"undelivered":true');
  out.ascii(',"latencyMs":');
  out.ascii(jsonNumber(f.latencyMs));
  out.ascii(',"timestamp":"');
  out.ascii(at);
  out.ascii('"}\n');
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
      ? (fields: DecisionFields) => writeJsonDecisionLine(fields, timestamp(), out)
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
