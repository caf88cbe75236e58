import type { IncomingMessage } from 'node:http';
import { nestsDeeperThan, repeatedKey } from '../jsonKeys.js';

/** An admin request refused: answered with `status` and a JSON `{error}` naming the problem. */
export class AdminProblem extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 408 | 413 | 415 | 417 | 422 | 503,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'AdminProblem';
  }
}

export interface BodyLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/**
 * How deep a body may nest: an admin body is one flat object. The key check walks the text recursively, and
 * `[[[[…` 8,000 deep (16 KB) overflowed its stack: a 500 where a 400 belongs.
 */
const MAX_NESTING = 32;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body's text; bytes that are not UTF-8 are refused, not read as U+FFFD (a revoke of a token nobody has). */
function utf8(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new AdminProblem(400, 'body is not UTF-8 text');
  }
}

/**
 * A request's JSON body, bounded in size and time; undefined when there is
 * none (not a byte). Every way a body can be wrong is an AdminProblem with its 4xx.
 */
export async function readJsonBody(req: IncomingMessage, { maxBytes, timeoutMs }: BodyLimits): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes)
    throw new AdminProblem(413, `body larger than ${maxBytes} bytes`);
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (problem: AdminProblem) => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      // Nothing more of this body is read: the connection closes after the answer.
      req.resume();
      reject(problem);
    };
    const timer = setTimeout(() => fail(new AdminProblem(408, `body not complete within ${timeoutMs} ms`)), timeoutMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) fail(new AdminProblem(413, `body larger than ${maxBytes} bytes`));
      else chunks.push(chunk);
    });
    req.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.once('error', () => fail(new AdminProblem(400, 'body could not be read')));
  });
  // No body at all is none (`curl -X POST`); one of blanks is a body, and must be JSON like any other.
  if (bytes.length === 0) return undefined;
  const text = utf8(bytes);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new AdminProblem(415, 'send the body as Content-Type: application/json');
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new AdminProblem(400, 'body is not valid JSON');
  }
  if (nestsDeeperThan(text, MAX_NESTING))
    throw new AdminProblem(400, `body nested more than ${MAX_NESTING} levels deep`);
  // JSON.parse keeps the last of two, and `{"login":"alice","login":"bob"}` would revoke bob alone, silently.
  const repeated = repeatedKey(text);
  if (repeated !== undefined) throw new AdminProblem(400, `${repeated}: given more than once`);
  return body;
}
