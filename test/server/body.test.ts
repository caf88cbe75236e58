import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BodyFormat } from '../../src/protocols/types.js';
import { RequestProblem } from '../../src/requestProblem.js';
import { readBody } from '../../src/server/body.js';

const LIMITS = { maxQueryBytes: 4096, maxBodyBytes: 64, bodyTimeoutMs: 1000 };

/** A request whose body the test writes: `headers` as Node would give them, the body streamed after. */
function request(headers: Record<string, string>) {
  const stream = new PassThrough();
  Object.assign(stream, { headers });
  return { req: stream as unknown as IncomingMessage, stream };
}

/** readBody on a request that sends `chunks` and ends. */
function readSent(format: BodyFormat, contentType: string, ...chunks: Array<string | Buffer>) {
  const { req, stream } = request({ 'content-type': contentType });
  const read = readBody(req, format, LIMITS);
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return read;
}

/** The status and message readBody refused with. */
async function refusal(read: Promise<unknown>): Promise<{ status: number; message: string }> {
  const error = await read.then(
    () => expect.unreachable('the body was accepted'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RequestProblem);
  const { status, message } = error as RequestProblem;
  return { status, message };
}

afterEach(() => vi.useRealTimers());

describe('readBody', () => {
  it('parses a JSON object, whatever the case and parameters of its content type', async () => {
    await expect(readSent('json', 'Application/JSON; charset=utf-8', '{"action":', '"on_play"}')).resolves.toEqual({
      format: 'json',
      document: { action: 'on_play' },
    });
  });

  it('gives a form body back as its text, for the caller to read as a query', async () => {
    await expect(readSent('form', 'application/x-www-form-urlencoded', 'call=play&name=a001')).resolves.toEqual({
      format: 'form',
      text: 'call=play&name=a001',
    });
  });

  it('refuses another content type with 415, naming the one expected', async () => {
    expect(await refusal(readSent('json', 'text/plain', '{}'))).toEqual({
      status: 415,
      message: 'expected Content-Type: application/json',
    });
    expect(await refusal(readSent('form', 'application/json', 'a=1'))).toEqual({
      status: 415,
      message: 'expected Content-Type: application/x-www-form-urlencoded',
    });
  });

  it('refuses a body larger than maxBodyBytes with 413: announced, or found while reading', async () => {
    const announced = request({ 'content-type': 'application/json', 'content-length': '65' });
    expect(await refusal(readBody(announced.req, 'json', LIMITS))).toEqual({
      status: 413,
      message: 'request body larger than 64 bytes',
    });
    const streamed = readSent('json', 'application/json', `{"a":"${'x'.repeat(40)}`, `${'y'.repeat(40)}"}`);
    expect(await refusal(streamed)).toEqual({ status: 413, message: 'request body larger than 64 bytes' });
  });

  it('refuses with 408 a body not complete within bodyTimeoutMs', async () => {
    vi.useFakeTimers();
    const { req, stream } = request({ 'content-type': 'application/json' });
    const refused = refusal(readBody(req, 'json', LIMITS));
    stream.write('{"action":');
    let answered = false;
    void refused.finally(() => (answered = true));
    await vi.advanceTimersByTimeAsync(LIMITS.bodyTimeoutMs - 1);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await refused).toEqual({ status: 408, message: 'request body not complete within 1000 ms' });
  });

  it('refuses with 400 a body whose sender went away before its end', async () => {
    const { req, stream } = request({ 'content-type': 'application/json' });
    const read = readBody(req, 'json', LIMITS);
    stream.write('{"action":');
    stream.destroy();
    expect(await refusal(read)).toEqual({ status: 400, message: 'request body ended before it was complete' });
  });

  it('refuses with 400 what is not UTF-8, not JSON, or not a JSON object', async () => {
    expect(await refusal(readSent('json', 'application/json', Buffer.from([0x7b, 0xff, 0x7d])))).toEqual({
      status: 400,
      message: 'request body is not UTF-8 text',
    });
    expect(await refusal(readSent('form', 'application/x-www-form-urlencoded', Buffer.from([0xc3])))).toEqual({
      status: 400,
      message: 'request body is not UTF-8 text',
    });
    expect(await refusal(readSent('json', 'application/json', '{"action":'))).toEqual({
      status: 400,
      message: 'request body is not valid JSON',
    });
    for (const text of ['[1]', 'null', '"on_play"', '7'])
      expect(await refusal(readSent('json', 'application/json', text)), text).toEqual({
        status: 400,
        message: 'request body is not a JSON object',
      });
  });

  it('refuses with 400 a key given twice, which JSON.parse would silently read by its last value', async () => {
    expect(await refusal(readSent('json', 'application/json', '{"action":"on_publish","action":"on_play"}'))).toEqual({
      status: 400,
      message: '"action" in the body is given more than once',
    });
  });

  it('refuses with 400 a body nested deeper than any streaming server sends', async () => {
    const deep = `{"a":${'['.repeat(32)}${']'.repeat(32)}}`;
    expect(await refusal(readBody(...bigRequest(deep)))).toEqual({
      status: 400,
      message: 'request body nested more than 32 levels deep',
    });
    const deepEnough = `{"a":${'['.repeat(31)}${']'.repeat(31)}}`;
    await expect(readBody(...bigRequest(deepEnough))).resolves.toMatchObject({ format: 'json' });
  });
});

/** readBody's arguments for `text` under limits that hold it. */
function bigRequest(text: string): Parameters<typeof readBody> {
  const { req, stream } = request({ 'content-type': 'application/json' });
  queueMicrotask(() => stream.end(text));
  return [req, 'json', { ...LIMITS, maxBodyBytes: 4096 }];
}
