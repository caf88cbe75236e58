import { holdsInAnyCase, maskOccurrences } from '../secrets.js';
import { secretValueForms } from '../secretText.js';
import type { TrackedCheck } from './trackedCheck.js';

/** Who a check names: a session's user and what a revoke or a filter finds it by. */
export interface NamedUser {
  /** Local login, else the backend's `X-Session-Name`, else its `X-UserId`. */
  readonly user?: string;
  readonly login?: string;
  readonly sessionName?: string;
  readonly userId?: string;
}

/**
 * Who an answered check names (its decision and viewer are known: the tracker tracks no other). A middleware
 * may echo the viewer's token in what it names (`X-Session-Name: name-<token>`): masked here, the one place
 * statistics rows, /admin/sessions and the status page all take the user from.
 */
export function namedUser({ by, decision, viewer }: TrackedCheck): NamedUser {
  const { source } = decision!;
  const token = viewer!.token;
  // A deny carries no sessionName of its own, but the backend may still have named the viewer (a connection-limit
  // deny of a backend's allow keeps its answer): the same user as their allowed sessions, not their X-UserId.
  const givenName = decision!.sessionName ?? decision!.answer?.sessionName;
  const sessionName = withoutToken(givenName, token);
  const local = source.kind === 'policy' && source.policy === 'user' ? source.subject : undefined;
  const login = local ?? viewer!.credentials?.login;
  const rawUserId = decision!.answer?.userId;
  const userId = withoutToken(rawUserId, token);
  // A name that held the token is masked alike for every viewer (`user-***`): their X-UserId, where it holds no token,
  // tells them apart, where statistics by user otherwise counted all of them as one viewer.
  const nameMasked = sessionName !== givenName;
  const named = nameMasked && userId !== undefined && userId === rawUserId ? userId : (sessionName ?? userId);
  return { user: (by === 'user' ? login : undefined) ?? named, login, sessionName, userId };
}

/**
 * `text` without the viewer's token (a name a middleware echoed it in, a player's User-Agent that carries it); a
 * function of its own, not a closure made on every check.
 */
export function withoutToken(text: string | undefined, token: string | undefined): string | undefined {
  // Checked first: this runs on every check of a session, and nearly no name holds the token (in any case, or
  // URL-encoded: a `%`).
  if (text === undefined || token === undefined || (!holdsInAnyCase(text, token) && !text.includes('%'))) return text;
  const masked = maskOccurrences(text, secretValueForms([token]));
  if (masked !== text || !text.includes('%')) return masked;
  // Encoded a character at a time (`allow%55aQ2`), which no fixed form of the token matches: read decoded.
  const plain = percentDecoded(text);
  return holdsInAnyCase(plain, token) ? maskOccurrences(plain, [token]) : text;
}

/** `text` with every `%XX` decoded as UTF-8 where it decodes, left as it is where it does not. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%[0-9a-fA-F]{2}/g, (sequence) => String.fromCharCode(Number.parseInt(sequence.slice(1), 16)));
  }
}

/**
 * Whether a later check names another user than the session has (a deny first, then an allow as
 * user 7001, then 7002). The same user named another way (its X-UserId beside the X-Session-Name
 * it was named by) is not another.
 */
export function namesAnotherUser(known: NamedUser, named: NamedUser): boolean {
  if (named.user === undefined || named.user === known.user) return false;
  if (known.user === undefined) return true;
  const same =
    (named.login !== undefined && named.login === known.login) ||
    (named.userId !== undefined && named.userId === known.userId) ||
    (named.sessionName !== undefined && named.sessionName === known.sessionName);
  return !same;
}
