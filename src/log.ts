import { Writable } from 'node:stream';
import winston from 'winston';
import type { LogConfig } from './config/schema.js';

export type Logger = winston.Logger;

function textLine(info: winston.Logform.TransformableInfo): string {
  const { timestamp, level, message, ...fields } = info;
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    // Quoted (and so escaped) unless plain: a viewer-supplied value must not smuggle terminal escapes.
    .map(([key, value]) => `${key}=${typeof value === 'string' && /^[\x21-\x7e]+$/.test(value) ? value : JSON.stringify(value)}`);
  return [timestamp, level, message, ...pairs].join(' ');
}

/**
 * stdout, with the lines of one event-loop turn written together: decisions
 * come thousands per second, and a write call per line would cost more than
 * deciding. Nothing waits longer than the current turn.
 */
class BatchedStdout {
  private pending: string[] = [];

  constructor() {
    // Lines of the last turn still go out when the process exits (files and pipes are written synchronously then).
    process.on('exit', () => this.flush());
  }

  line(text: string): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(text);
  }

  /** The same output as a stream, for winston. */
  stream(): Writable {
    return new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        this.line(chunk.toString());
        done();
      },
      final: (done) => {
        this.flush();
        done();
      },
    });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    process.stdout.write(text);
  }
}

/** Writes one decision line: the bridge's busiest output. */
export type DecisionLog = (fields: Record<string, unknown>) => void;

export interface Logging {
  readonly log: Logger;
  readonly decisions: DecisionLog;
}

/** Decision lines through a winston logger like any other line (for loggers built elsewhere, as in tests). */
export function decisionsThrough(log: Logger): DecisionLog {
  return (fields) => {
    if (log.isInfoEnabled()) log.info('decision', fields);
  };
}

const jsonLine = (info: winston.Logform.TransformableInfo) => JSON.stringify(info);

/** The current time as winston writes it, formatted once per millisecond however many lines share it. */
const timestamp = (() => {
  let at = 0;
  let text = '';
  return () => {
    const now = Date.now();
    if (now !== at) {
      at = now;
      text = new Date(now).toISOString();
    }
    return text;
  };
})();

/**
 * Logs go to stdout, one line each; JSON for log shippers, text for people.
 * Decision lines are formatted the same way but skip winston's stream
 * machinery, which costs more per line than a cached decision does.
 */
export function createLogging(config: LogConfig): Logging {
  const out = new BatchedStdout();
  const line = config.format === 'json' ? jsonLine : textLine;
  const log = winston.createLogger({
    level: config.level,
    // Plain JSON.stringify: winston's json() sorts keys, which costs more than the rest of a cached decision.
    format: winston.format.combine(winston.format.timestamp(), winston.format.printf(line)),
    transports: [new winston.transports.Stream({ stream: out.stream() })],
  });
  const decisions: DecisionLog = !log.isInfoEnabled()
    ? () => undefined
    : config.format === 'json'
      ? // The same line winston writes, without copying the fields into a new object first.
        (fields) => {
          const inner = JSON.stringify(fields).slice(1, -1);
          out.line(`{"level":"info","message":"decision",${inner}${inner === '' ? '' : ','}"timestamp":"${timestamp()}"}\n`);
        }
      : (fields) => out.line(`${textLine({ level: 'info', message: 'decision', ...fields, timestamp: timestamp() })}\n`);
  return { log, decisions };
}

export function createLogger(config: LogConfig): Logger {
  return createLogging(config).log;
}
