import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { BodyRule } from '../config/schema.js';
import { nestsDeeperThan, repeatedKey } from '../jsonKeys.js';

export class UnparseableBody extends Error {}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  processEntities: false,
});

/** Deeper than any middleware answer nests; the check for repeated keys walks the text recursively. */
const MAX_JSON_NESTING = 64;

/**
 * A middleware's answer body as a document, strictly: a byte order mark allowed; invalid text, nesting past 64
 * levels and a JSON object naming a key twice (`{"ok":false,"ok":true}`, which JSON.parse reads as its last, an
 * allow) refused with an UnparseableBody. For the operator's body rule, and for an adapter whose body decides
 * (docs/architecture.md, "Adding a middleware"): never JSON.parse a verdict.
 */
export function parseAnswerBody(format: BodyRule['format'], body: Buffer): unknown {
  // A byte order mark is legal in front of JSON from some middleware stacks; JSON.parse refuses it.
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  let document: unknown;
  try {
    if (format === 'json') document = JSON.parse(text);
    else if (XMLValidator.validate(text) !== true) throw new Error('invalid');
    else return xml.parse(text);
  } catch {
    throw new UnparseableBody(`body is not valid ${format.toUpperCase()}`);
  }
  if (nestsDeeperThan(text, MAX_JSON_NESTING))
    throw new UnparseableBody(`body nested more than ${MAX_JSON_NESTING} levels deep`);
  // `{"error":1,"error":0}` is no answer: JSON.parse would keep the 0 and a rule `error` allow [0] let the viewer in.
  const repeated = repeatedKey(text);
  if (repeated !== undefined) throw new UnparseableBody(`body names ${JSON.stringify(repeated.slice(0, 80))} twice`);
  return document;
}

/** The value at a dotted path (`a.b.c`) of a parsed document; undefined where the path leads nowhere. */
export function valueAt(document: unknown, path: string): unknown {
  let current = document;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Whether a middleware body says "allow" under the operator's rule. Values
 * compare as text, so XML `<ok>1</ok>` matches `allow: [1]` like JSON `1` does.
 */
export function bodyAllows(rule: BodyRule, body: Buffer): boolean {
  const value = valueAt(parseAnswerBody(rule.format, body), rule.path);
  if (value === undefined || value === null || typeof value === 'object') return false;
  const text = String(value).trim();
  return rule.allow.some((allowed) => String(allowed) === text);
}
