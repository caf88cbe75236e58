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
function batchedStdout(): Writable {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    process.stdout.write(text);
  };
  // Lines of the last turn still go out when the process exits (files and pipes are written synchronously then).
  process.on('exit', flush);
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (pending.length === 0) setImmediate(flush);
      pending.push(chunk.toString());
      done();
    },
    final(done) {
      flush();
      done();
    },
  });
}

/** Logs go to stdout, one line each; JSON for log shippers, text for people. */
export function createLogger(config: LogConfig): Logger {
  return winston.createLogger({
    level: config.level,
    format: winston.format.combine(
      winston.format.timestamp(),
      // Plain JSON.stringify: winston's json() sorts keys, which costs more than the rest of a cached decision.
      config.format === 'json' ? winston.format.printf((info) => JSON.stringify(info)) : winston.format.printf(textLine),
    ),
    transports: [new winston.transports.Stream({ stream: batchedStdout() })],
  });
}
