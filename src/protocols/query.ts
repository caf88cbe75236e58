import { RequestProblem } from '../requestProblem.js';
import type { Query } from '../viewer.js';

function decode(part: string): string {
  if (!part.includes('%') && !part.includes('+')) return part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new RequestProblem(400, 'broken percent-encoding in the query string');
  }
}

/**
 * Parses a query string strictly: broken percent-encoding is refused rather
 * than guessed at, and repeated keys are kept so `single` can refuse them.
 */
export function parseQuery(raw: string): Query {
  const query = new Map<string, string[]>();
  // Walked with indexOf rather than split: no array of pieces on every check (nearly all have one).
  for (let start = 0; start < raw.length; ) {
    const amp = raw.indexOf('&', start);
    const end = amp === -1 ? raw.length : amp;
    if (end > start) addPair(query, raw.slice(start, end));
    start = end + 1;
  }
  return query;
}

function addPair(query: Map<string, string[]>, pair: string): void {
  const eq = pair.indexOf('=');
  const key = decode(eq === -1 ? pair : pair.slice(0, eq));
  const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
  const values = query.get(key);
  if (values) values.push(value);
  else query.set(key, [value]);
}

/**
 * A query as `single` reads it: its raw text when nothing in it is encoded (no `%`, no `+`: nearly
 * every viewer's), else parsed whole (and so refused here for broken percent-encoding anywhere, as
 * parseQuery refuses it). A check that reads one or two parameters then builds no Map, no array
 * per name and no string per piece.
 */
export function readableQuery(raw: string): Query | string {
  return raw.includes('%') || raw.includes('+') ? parseQuery(raw) : raw;
}

/**
 * The one value of a parameter the bridge acts on, its name in any case: a middleware that reads
 * `Token=` as `token=` (many do) must not be asked about a token the bridge did not see, which
 * revoke and token binding would then miss. Two values, in one spelling or two, are refused: if
 * the bridge read one and the middleware the other, a viewer could pass one check with a token and
 * be billed to another. `key` is lower case.
 */
export function single(query: Query | string, key: string): string | undefined {
  if (typeof query === 'string') return singleInText(query, key);
  let found = query.get(key);
  // Nearly every query has a few parameters, and a shorter name is skipped without a look.
  for (const [name, values] of query) {
    if (name.length < key.length || name === key) continue;
    const form = readsAs(name, key);
    if (form === undefined) continue;
    if (form === 'array') throw arrayForm(key);
    if (found) throw repeated(key);
    found = values;
  }
  if (!found) return undefined;
  if (found.length > 1) throw repeated(key);
  return found[0];
}

const SPACE = 0x20;
const EQUALS = 0x3d;
const BRACKET = 0x5b;
/** PHP reads a parameter's name up to its first NUL (`token%00x=` is `$_GET['token']`). */
const NUL = 0x00;

/**
 * How a middleware may read parameter `name` as `key` (lower case): as it (in any case, after leading spaces, which
 * PHP skips, and up to a NUL, where PHP ends the name), as PHP's array form `key[…]`, or not at all. Either form is the bridge's to see: read as the key
 * (and so refused beside it), or refused, since PHP reads `token[]=x` as the token, an array it fails on (a 500 that
 * counts against the backend's circuit breaker), and the bridge would have seen no token at all.
 */
function readsAs(name: string, key: string): 'key' | 'array' | undefined {
  let at = 0;
  while (name.charCodeAt(at) === SPACE) at++;
  const rest = name.length - at;
  if (rest < key.length || !nameAt(name, at, key)) return undefined;
  if (rest === key.length) return 'key';
  const after = name.charCodeAt(at + key.length);
  if (after === NUL) return 'key';
  // PHP reads `token[…]` as an array only with its `]`: `token[` alone is its `token_`, another parameter.
  return after === BRACKET && name.includes(']', at + key.length) ? 'array' : undefined;
}

/**
 * Whether `raw` holds `key` (lower case) at `start`, in any case of its ASCII letters: only A-Z are
 * folded, on both the raw and the parsed path (a Unicode fold would read the Kelvin sign as `k`).
 */
function nameAt(raw: string, start: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const code = raw.charCodeAt(start + i);
    // A-Z folded to a-z; every other code unit compared as it is.
    if ((code >= 0x41 && code <= 0x5a ? code + 0x20 : code) !== key.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether the name of the pair ending at `end`, from `from` on, holds a `]` (PHP's array form needs one). */
function closesInName(raw: string, from: number, end: number): boolean {
  const equals = raw.indexOf('=', from);
  const nameEnd = equals === -1 || equals > end ? end : equals;
  const closing = raw.indexOf(']', from);
  return closing !== -1 && closing < nameEnd;
}

/** The value of the pair whose name ends at `nameEnd`: past its first `=` (a name cut at a NUL runs on to it). */
function pairValue(raw: string, nameEnd: number, end: number): string {
  const equals = raw.indexOf('=', nameEnd);
  return equals === -1 || equals >= end ? '' : raw.slice(equals + 1, end);
}

/** `single` of a raw query with nothing to decode, walked for `key` alone (in any case): only its value is cut out. */
function singleInText(raw: string, key: string): string | undefined {
  let value: string | undefined;
  for (let start = 0; start < raw.length; ) {
    const amp = raw.indexOf('&', start);
    const end = amp === -1 ? raw.length : amp;
    let at = start;
    while (raw.charCodeAt(at) === SPACE && at < end) at++;
    const keyEnd = at + key.length;
    if (keyEnd <= end) {
      // What follows the name decides (cheaply) whether its letters are worth comparing: see readsAs.
      const after = keyEnd === end ? EQUALS : raw.charCodeAt(keyEnd);
      if ((after === EQUALS || after === BRACKET || after === NUL) && nameAt(raw, at, key)) {
        if (after !== BRACKET) {
          if (value !== undefined) throw repeated(key);
          value = pairValue(raw, keyEnd, end);
        } else if (closesInName(raw, keyEnd, end)) throw arrayForm(key);
      }
    }
    start = end + 1;
  }
  return value;
}

function repeated(key: string): RequestProblem {
  return new RequestProblem(400, `query parameter "${key}" is given more than once`);
}

function arrayForm(key: string): RequestProblem {
  return new RequestProblem(400, `query parameter "${key}" is given as ${key}[…]: give it once, as ${key}=`);
}
