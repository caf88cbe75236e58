import type { IncomingMessage } from 'node:http';
import type { BodyFormat, ReadBody, ReadLimits } from '../protocols/types.js';
import { nestsDeeperThan, repeatedKey } from '../jsonKeys.js';
import { RequestProblem } from '../requestProblem.js';

const CONTENT_TYPE: Record<BodyFormat, string> = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Objects and arrays a hook body may nest: a streaming server's is flat; the key check below recurses. */
const MAX_NESTING = 32;

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The whole body, within `maxBodyBytes` and `bodyTimeoutMs`; a caller that sends more or too slowly gets a 4xx. */
function collect(req: IncomingMessage, { maxBodyBytes, bodyTimeoutMs }: ReadLimits): Promise<Buffer> {
  if (Number(req.headers['content-length']) > maxBodyBytes) {
    return Promise.reject(new RequestProblem(413, `request body larger than ${maxBodyBytes} bytes`));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (problem?: RequestProblem) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onBroken).off('close', onBroken);
      if (problem) {
        // Nothing more is read: the answer goes out now and the connection closes behind it.
        req.pause();
        reject(problem);
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) stop(new RequestProblem(413, `request body larger than ${maxBodyBytes} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onBroken = () => stop(new RequestProblem(400, 'request body ended before it was complete'));
    const timer = setTimeout(
      () => stop(new RequestProblem(408, `request body not complete within ${bodyTimeoutMs} ms`)),
      bodyTimeoutMs,
    );
    req.on('data', onData).on('end', onEnd).on('error', onBroken).on('close', onBroken);
  });
}

/**
 * A caller's hook body, read in full and parsed: the wrong content type is a
 * 415, too large a 413, too slow a 408, malformed text a 400. Never more than
 * `maxBodyBytes` is held, and nothing waits past `bodyTimeoutMs`.
 */
export async function readBody(req: IncomingMessage, format: BodyFormat, limits: ReadLimits): Promise<ReadBody> {
  const expected = CONTENT_TYPE[format];
  if (mediaType(req) !== expected) throw new RequestProblem(415, `expected Content-Type: ${expected}`);
  let text: string;
  try {
    text = utf8.decode(await collect(req, limits));
  } catch (error) {
    if (error instanceof RequestProblem) throw error;
    throw new RequestProblem(400, 'request body is not UTF-8 text');
  }
  if (format === 'form') return { format, text };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new RequestProblem(400, 'request body is not valid JSON');
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document))
    throw new RequestProblem(400, 'request body is not a JSON object');
  if (nestsDeeperThan(text, MAX_NESTING))
    throw new RequestProblem(400, `request body nested more than ${MAX_NESTING} levels deep`);
  // JSON.parse keeps the last of two: `{"action":"on_publish","action":"on_play"}` would be decided as a play,
  // silently, as a query parameter given twice would be if it were not refused.
  const repeated = repeatedKey(text);
  if (repeated !== undefined) throw new RequestProblem(400, `"${repeated}" in the body is given more than once`);
  return { format, document };
}
