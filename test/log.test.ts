import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogging, exitOnceFlushed, type DecisionFields, type DecisionLog, type Logger } from '../src/log.js';

afterEach(() => vi.restoreAllMocks());

/** What the logging wrote to stdout by the end of the current event-loop turn. */
async function written(log: (write: DecisionLog) => void, format: 'json' | 'text'): Promise<string[]> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line !== ''),
    );
    return true;
  });
  log(createLogging({ level: 'info', format }).decisions);
  await new Promise((resolve) => setImmediate(resolve));
  return lines;
}

describe('decision lines', () => {
  it('are one JSON object per line, level and message first, undefined fields left out, timestamp last', async () => {
    const lines = await written((decisions) => {
      decisions({
        route: 'default',
        dialect: 'cesbo',
        decision: 'allow',
        cache: undefined,
        status: 200,
        latencyMs: 0.25,
      });
    }, 'json');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual([
      'level',
      'message',
      'route',
      'dialect',
      'decision',
      'status',
      'latencyMs',
      'timestamp',
    ]);
    expect(line).toMatchObject({
      level: 'info',
      message: 'decision',
      route: 'default',
      decision: 'allow',
      status: 200,
      latencyMs: 0.25,
    });
  });

  // Viewer-supplied text of every awkward kind: each line must be exactly what JSON.stringify writes.
  const awkward = [
    'say "hi"',
    'back\\slash',
    'tab\there',
    'esc \u001b[31m',
    'del \u007f',
    'первый',
    'line\u2028sep',
    '',
    'emoji 📺',
    'lone \ud800 surrogate',
    // Longer than a field of few values keeps encoded.
    'long '.repeat(100),
  ];
  const everyField = (text: string): DecisionFields => ({
    route: text,
    dialect: 'cesbo',
    caller: '127.0.0.1',
    channel: text,
    ip: '203.0.113.7',
    session: text,
    token: 'a1b2c3d4e5f6',
    login: text,
    decision: 'refused',
    by: `user:${text}`,
    cache: 'stale',
    status: 403,
    reason: text,
    undelivered: true,
    latencyMs: 12.34,
  });

  it.each(awkward)('write %j exactly as JSON.stringify would, field order included', async (text) => {
    const fields = everyField(text);
    const [line] = await written((decisions) => decisions(fields), 'json');
    const { timestamp } = JSON.parse(line!) as { timestamp: string };
    expect(line).toBe(JSON.stringify({ level: 'info', message: 'decision', ...fields, timestamp }));
  });

  it('write numbers JSON cannot hold as null, as JSON.stringify does', async () => {
    const fields = { ...everyField('x'), status: Number.NaN, latencyMs: Number.POSITIVE_INFINITY };
    const [line] = await written((decisions) => decisions(fields), 'json');
    const { timestamp } = JSON.parse(line!) as { timestamp: string };
    expect(line).toBe(JSON.stringify({ level: 'info', message: 'decision', ...fields, timestamp }));
  });

  it('read as text: timestamp, level, message, then key=value with viewer text quoted', async () => {
    const [line] = await written(
      (decisions) =>
        decisions({
          route: 'default',
          dialect: 'cesbo',
          channel: 'first \u001b[31m',
          decision: 'allow',
          status: 200,
          latencyMs: 1,
        }),
      'text',
    );
    expect(line).toMatch(
      /^\d{4}-\d{2}-\d{2}T\S+ info decision route=default dialect=cesbo channel="first \\u001b\[31m" decision=allow status=200 latencyMs=1$/,
    );
  });

  it('more than a batch of them in one turn come out whole and in order, beside a longer other line', async () => {
    const chunks: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      // A copy: the batch's buffer is written again once a write returns.
      chunks.push(String(chunk));
      return true;
    });
    const { log, decisions } = createLogging({ level: 'info', format: 'json' });
    // Written as it is, or through JSON.stringify: both kinds cross a batch's end.
    const channelOf = (n: number) => (n % 2 === 0 ? 'a' : 'ч').repeat(3000);
    for (let n = 0; n < 300; n++)
      decisions({
        route: 'default',
        dialect: 'cesbo',
        channel: channelOf(n),
        session: String(n),
        decision: 'allow',
        status: 200,
        latencyMs: n,
      });
    log.info('huge', { text: 'x'.repeat(70_000) });
    decisions({ route: 'default', dialect: 'cesbo', session: 'last', decision: 'deny', status: 403, latencyMs: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    // 300 lines of 3 to 6 kB: several writes, none of them empty.
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.every((chunk) => chunk !== '')).toBe(true);
    const lines = chunks.join('').split('\n').slice(0, -1);
    expect(lines).toHaveLength(302);
    for (let n = 0; n < 300; n++)
      expect(JSON.parse(lines[n]!)).toMatchObject({ session: String(n), channel: channelOf(n), latencyMs: n });
    expect(JSON.parse(lines[300]!)).toMatchObject({ message: 'huge', text: 'x'.repeat(70_000) });
    expect(JSON.parse(lines[301]!)).toMatchObject({ session: 'last', decision: 'deny' });
  });

  it('are not written below level info', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    createLogging({ level: 'warn', format: 'json' }).decisions({
      route: 'default',
      dialect: 'cesbo',
      decision: 'allow',
      status: 200,
      latencyMs: 1,
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([]);
  });

  it('follow a level changed while running, other lines and decision lines alike', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    const logging = createLogging({ level: 'warn', format: 'json' });
    const decide = (route: string) =>
      logging.decisions({ route, dialect: 'cesbo', decision: 'allow', status: 200, latencyMs: 1 });
    decide('before');
    logging.log.info('info before');
    logging.setLevel('info');
    decide('while-info');
    logging.log.info('info while info');
    logging.setLevel('error');
    decide('after');
    logging.log.warn('warn after');
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines.join('');
    expect(text).toContain('"route":"while-info"');
    expect(text).toContain('info while info');
    for (const absent of ['"route":"before"', 'info before', '"route":"after"', 'warn after'])
      expect(text).not.toContain(absent);
  });
});

describe('exitOnceFlushed', () => {
  // Fake timers: the half-second fallback must not call the real process.exit after the test.
  afterEach(() => vi.useRealTimers());

  it('writes the last lines, then exits with the code', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const { log } = createLogging({ level: 'info', format: 'text' });
    log.info('stopped');
    exitOnceFlushed(log, 3);
    for (let turn = 0; turn < 5 && exit.mock.calls.length === 0; turn++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(exit.mock.calls).toEqual([[3]]);
    expect(lines.join('')).toContain('stopped');
  });

  it('exits after half a second when the log never finishes', () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const stuck = { on: vi.fn(), end: vi.fn() } as unknown as Logger;
    exitOnceFlushed(stuck, 1);
    vi.advanceTimersByTime(499);
    expect(exit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(exit.mock.calls).toEqual([[1]]);
  });
});

describe('createLogging', () => {
  it('shares one stdout batch in a process: many loggers add one exit listener at most, and keep one order', async () => {
    createLogging({ level: 'info', format: 'json' });
    const listeners = process.listenerCount('exit');
    const loggings = Array.from({ length: 20 }, () => createLogging({ level: 'info', format: 'text' }));
    expect(process.listenerCount('exit')).toBe(listeners);
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    loggings[0]!.log.info('first');
    loggings[1]!.log.info('second');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/first[\s\S]*second/);
  });
});
