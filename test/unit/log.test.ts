import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogging } from '../../src/log.js';

afterEach(() => vi.restoreAllMocks());

/** What the logging wrote to stdout by the end of the current event-loop turn. */
async function written(log: (write: (fields: Record<string, unknown>) => void) => void, format: 'json' | 'text'): Promise<string[]> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((line) => line !== ''));
    return true;
  });
  log(createLogging({ level: 'info', format }).decisions);
  await new Promise((resolve) => setImmediate(resolve));
  return lines;
}

describe('decision lines', () => {
  it('are one JSON object per line, level and message first, undefined fields left out, timestamp last', async () => {
    const lines = await written((decisions) => {
      decisions({ route: 'default', decision: 'allow', cache: undefined, latencyMs: 0.25 });
      decisions({});
    }, 'json');
    expect(lines).toHaveLength(2);
    const [first, empty] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(first!)).toEqual(['level', 'message', 'route', 'decision', 'latencyMs', 'timestamp']);
    expect(first).toMatchObject({ level: 'info', message: 'decision', route: 'default', decision: 'allow', latencyMs: 0.25 });
    expect(Object.keys(empty!)).toEqual(['level', 'message', 'timestamp']);
  });

  it('read as text: timestamp, level, message, then key=value with viewer text quoted', async () => {
    const [line] = await written((decisions) => decisions({ route: 'default', channel: 'first \u001b[31m' }), 'text');
    expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\S+ info decision route=default channel="first \\u001b\[31m"$/);
  });

  it('are not written below level info', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    createLogging({ level: 'warn', format: 'json' }).decisions({ route: 'default' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([]);
  });
});
