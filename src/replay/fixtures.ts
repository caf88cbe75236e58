import { readdirSync, readFileSync } from 'node:fs';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import { formatPath } from '../config/path.js';
import { expectedBodySchema, type ExpectedBody } from './bodyMatch.js';
import { expectedValue, hashed, type ExpectedValue } from './expectedValue.js';

/** One recorded middleware exchange; the format is documented in test/fixtures/README.md. */
export interface Exchange {
  /** Where the exchange comes from: `hand-written from …` (or `hand-written fault case: …`), or `recorded …`. */
  readonly source?: string;
  readonly description?: string;
  readonly request: {
    readonly method?: string;
    /** Hashed when it holds a secret (a key in the middleware's URL path). */
    readonly path: ExpectedValue;
    /** A list expects the parameter repeated, with these values in this order. */
    readonly query?: Readonly<Record<string, ExpectedValue | readonly ExpectedValue[]>>;
    readonly headers?: Readonly<Record<string, ExpectedValue>>;
    /** What the request body must be (POST middlewares); no body expected when absent. */
    readonly body?: ExpectedBody;
  };
  readonly response: {
    readonly status?: number;
    /** A list: the header sent once per value, as a middleware that repeats a header does. */
    readonly headers?: Readonly<Record<string, string | readonly string[]>>;
    readonly body?: string;
    /** Answer with this many bytes of filler instead of `body`. */
    readonly bodyBytes?: number;
    /** Send the body chunked, with no Content-Length announcing its size. */
    readonly chunked?: boolean;
    readonly delayMs?: number;
    /** Never answer. */
    readonly hang?: boolean;
    /** Reset the connection instead of answering. */
    readonly reset?: boolean;
    /** Write these bytes (latin1) to the socket verbatim, for answers Node would refuse to send. */
    readonly raw?: string;
  };
}

/** An exchange read from a fixture folder, with the file it came from. */
export interface Fixture extends Exchange {
  readonly file: string;
}

/** A fixture folder that cannot be replayed; the message names the file and the key. */
export class FixtureError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid fixtures:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'FixtureError';
  }
}

/** A request target split at its first `?`. */
export interface RequestTarget {
  readonly path: string;
  /** Everything after the `?`, as sent ('' without one). */
  readonly rawQuery: string;
  /**
   * Decoded as URLSearchParams does; a repeated parameter with all its values in order, parameters in first-seen order.
   */
  readonly query: [string, string[]][];
}

/**
 * How both the recorder and the replay server read a request target, so that a recording matches what replay receives.
 */
export function parseTarget(target: string): RequestTarget {
  const mark = target.indexOf('?');
  const rawQuery = mark === -1 ? '' : target.slice(mark + 1);
  const values = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    const known = values.get(key);
    if (known) known.push(value);
    else values.set(key, [value]);
  }
  return { path: mark === -1 ? target : target.slice(0, mark), rawQuery, query: [...values] };
}

/** Header names and values Node's HTTP server would refuse to send are refused at load, not mid-answer. */
const responseHeaders = z
  .record(z.string(), z.union([z.string(), z.array(z.string()).min(1)]))
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      try {
        validateHeaderName(name);
        for (const one of typeof value === 'string' ? [value] : value) validateHeaderValue(name, one);
      } catch {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'not a header Node can send (use "raw" for broken answers)',
        });
      }
    }
  });

/** A label, so a reader knows whether a middleware really answered this or someone wrote it down. */
const source = z.string().regex(/^(hand-written|recorded)\b./, 'expected "hand-written from …" or "recorded …"');

const exchangeSchema = z.strictObject({
  source: source.optional(),
  description: z.string().optional(),
  request: z.strictObject({
    method: z
      .string()
      .regex(/^[A-Z]+$/, 'expected an HTTP method such as GET')
      .optional(),
    path: z.union([z.string().startsWith('/', 'expected a path starting with /'), hashed], {
      error: 'expected a path starting with /, or {"sha256": "<64 hex digits>"} for one that holds a secret',
    }),
    /** A list expects the parameter that many times, the values in that order. */
    query: z.record(z.string(), z.union([expectedValue, z.array(expectedValue).min(2)])).optional(),
    headers: z.record(z.string(), expectedValue).optional(),
    body: expectedBodySchema(expectedValue).optional(),
  }),
  response: z.strictObject({
    status: z.number().int().min(100).max(999).optional(),
    headers: responseHeaders.optional(),
    body: z.string().optional(),
    bodyBytes: z
      .number()
      .int()
      .min(0)
      .max(64 * 1024 * 1024)
      .optional(),
    chunked: z.boolean().optional(),
    delayMs: z.number().int().min(0).max(2_147_483_647).optional(),
    hang: z.boolean().optional(),
    reset: z.boolean().optional(),
    raw: z.string().optional(),
  }),
});

function problemsOf(error: z.ZodError, file: string): string[] {
  return error.issues.map(
    (issue) => `${file}: ${formatPath(issue.path)}: ${issue.message.replace(/^Invalid input: /, '')}`,
  );
}

function readFixture(folder: string, name: string, problems: string[]): Fixture | undefined {
  const file = join(folder, name);
  let document: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    if (text.trim() === '') {
      // Left by a write cut short (older versions on a full disk): it holds no exchange to replay.
      problems.push(`${file}: empty file (a write cut short, e.g. by a full disk): delete it`);
      return undefined;
    }
    document = JSON.parse(text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(`${file}: ${code ? `cannot read (${code})` : `not valid JSON: ${(error as Error).message}`}`);
    return undefined;
  }
  const result = exchangeSchema.safeParse(document);
  if (!result.success) {
    problems.push(...problemsOf(result.error, file));
    return undefined;
  }
  return { ...result.data, file: name };
}

/** Every `*.json` exchange of a folder, in file-name order; throws a FixtureError listing every problem. */
export function loadFixtures(folder: string): Fixture[] {
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => name.endsWith('.json'));
  } catch (error) {
    throw new FixtureError([
      `${folder}: cannot read the fixture folder (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    ]);
  }
  if (names.length === 0) throw new FixtureError([`${folder}: no fixture files (*.json)`]);
  const problems: string[] = [];
  const fixtures = names.sort().flatMap((name) => readFixture(folder, name, problems) ?? []);
  if (problems.length > 0) throw new FixtureError(problems);
  return fixtures;
}
