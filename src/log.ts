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

/** Logs go to stdout, one line each; JSON for log shippers, text for people. */
export function createLogger(config: LogConfig): Logger {
  return winston.createLogger({
    level: config.level,
    format: winston.format.combine(
      winston.format.timestamp(),
      config.format === 'json' ? winston.format.json() : winston.format.printf(textLine),
    ),
    transports: [new winston.transports.Console()],
  });
}
