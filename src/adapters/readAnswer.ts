import type { BodyRule } from '../config/schema.js';
import { bodyAllows, UnparseableBody } from './bodyRule.js';
import { headerToText } from '../headerText.js';
import type { MiddlewareAnswer } from './transport.js';
import type { BackendInfo, BackendVerdict } from './types.js';

type Headers = MiddlewareAnswer['headers'];

function readCount(
  headers: Headers,
  name: string,
  [min, max]: readonly [number, number],
  notes: string[],
): number | undefined {
  const text = headerToText(headers[name]);
  if (text === undefined) return undefined;
  const count = Number(text);
  if (count >= min && count <= max && /^\d+$/.test(text)) return count;
  notes.push(`ignored ${name}: not a whole number from ${min} to ${max}`);
  return undefined;
}

/** At least a second: an allow that lasts 0 seconds would make a Flussonic caller re-ask at once, forever. */
const AUTH_DURATION: readonly [number, number] = [1, 31_536_000];
const MAX_SESSIONS: readonly [number, number] = [0, 1_000_000];

function readFlag(headers: Headers, name: string, notes: string[]): boolean | undefined {
  const text = headerToText(headers[name])?.toLowerCase();
  if (text === undefined) return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  notes.push(`ignored ${name}: not true or false`);
  return undefined;
}

/** The headers read below apart from Location, which is read on a redirect only. */
const HONOURED = ['x-session-name', 'x-userid', 'x-location', 'x-authduration', 'x-max-sessions', 'x-unique'] as const;

/**
 * A header sent more than once is read by its first value; one whose values differ is noted, as two
 * `X-UserId`s or `X-AuthDuration`s do not say which the middleware meant.
 */
function noteRepeated(headers: Headers, name: string, notes: string[]): void {
  const value = headers[name];
  if (Array.isArray(value) && value.some((other) => other !== value[0]))
    notes.push(`${name} sent ${value.length} times with different values: the first is read`);
}

/**
 * The headers the README's "How backend answers are read" honours, sanitized; unusable values are dropped and noted.
 */
function readBackendInfo(headers: Headers, status: number, notes: string[]): BackendInfo {
  const userId = headerToText(headers['x-userid']);
  const isRedirect = status >= 300 && status < 400;
  for (const name of HONOURED) noteRepeated(headers, name, notes);
  if (isRedirect) noteRepeated(headers, 'location', notes);
  return {
    sessionName: headerToText(headers['x-session-name']) ?? userId,
    userId,
    redirect: headerToText(headers['x-location']) ?? (isRedirect ? headerToText(headers.location) : undefined),
    // Absent when unusable, so cache.allowTtl applies instead.
    authDuration: readCount(headers, 'x-authduration', AUTH_DURATION, notes),
    maxSessions: readCount(headers, 'x-max-sessions', MAX_SESSIONS, notes),
    unique: readFlag(headers, 'x-unique', notes),
  };
}

/**
 * Turns a middleware answer into a verdict: 2xx allow (or what the body rule
 * says), 3xx and 4xx deny, anything else an error. A body rule can only turn
 * a 2xx into a deny, never a refusal into an allow.
 */
export function readAnswer(answer: MiddlewareAnswer, bodyRule: BodyRule | undefined): BackendVerdict {
  const { status } = answer;
  if (status >= 500 && status < 600) {
    return { outcome: 'error', error: 'server-error', detail: `middleware answered ${status}` };
  }
  if (status < 200 || status >= 600) {
    return { outcome: 'error', error: 'unexpected-status', detail: `middleware answered ${status}` };
  }
  const notes: string[] = [];
  const info = readBackendInfo(answer.headers, status, notes);
  if (status >= 300) return { outcome: 'deny', info, notes };
  if (!bodyRule) return { outcome: 'allow', info, notes };
  try {
    return { outcome: bodyAllows(bodyRule, answer.body) ? 'allow' : 'deny', info, notes };
  } catch (error) {
    if (error instanceof UnparseableBody) return { outcome: 'error', error: 'unparseable', detail: error.message };
    throw error;
  }
}
