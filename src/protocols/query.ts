import { RequestProblem } from '../requestProblem.js';

export type Query = ReadonlyMap<string, readonly string[]>;

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
 * The one value of a parameter the bridge acts on, its name in any case: a middleware that reads
 * `Token=` as `token=` (many do) must not be asked about a token the bridge did not see, which
 * revoke and token binding would then miss. Two values, in one spelling or two, are refused: if
 * the bridge read one and the middleware the other, a viewer could pass one check with a token and
 * be billed to another. `key` is lower case.
 */
export function single(query: Query, key: string): string | undefined {
  let found = query.get(key);
  let spelled = key;
  // Nearly every query has a few parameters, and a name of another length is skipped without a copy.
  for (const [name, values] of query) {
    if (name.length !== key.length || name === key || name.toLowerCase() !== key) continue;
    if (found)
      throw new RequestProblem(400, `query parameter "${key}" is given more than once (as "${spelled}" and "${name}")`);
    found = values;
    spelled = name;
  }
  if (!found) return undefined;
  if (found.length > 1) throw new RequestProblem(400, `query parameter "${key}" is given more than once`);
  return found[0];
}
