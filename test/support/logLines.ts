import type { Serving } from './cli.js';

export type LogLine = Record<string, unknown>;

/** The JSON log lines in `text` (other lines skipped). */
export function logLines(text: string): LogLine[] {
  return text.split('\n').flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as unknown;
      return parsed !== null && typeof parsed === 'object' ? [parsed as LogLine] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The next JSON log line with this `message` that `serve` writes after the
 * call: call it before causing the event. Rejects when the process exits first.
 */
export function nextLogLine(serving: Serving, message: string): Promise<LogLine> {
  const from = serving.output().length;
  return new Promise((resolve, reject) => {
    const look = () => {
      const found = logLines(serving.output().slice(from)).find((line) => line.message === message);
      if (!found) return;
      serving.child.stdout!.off('data', look);
      resolve(found);
    };
    serving.child.stdout!.on('data', look);
    void serving.exited.then((code) =>
      reject(new Error(`serve exited with ${code} before logging "${message}":\n${serving.output()}`)),
    );
  });
}
