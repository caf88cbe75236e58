import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { BodyRule } from '../config/schema.js';

export class UnparseableBody extends Error {}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, processEntities: false });

function parseBody(format: BodyRule['format'], text: string): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text);
    } catch {
      throw new UnparseableBody('body is not valid JSON');
    }
  }
  if (XMLValidator.validate(text) !== true) throw new UnparseableBody('body is not valid XML');
  return xml.parse(text);
}

function valueAt(document: unknown, path: string): unknown {
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
  const value = valueAt(parseBody(rule.format, body.toString('utf8')), rule.path);
  if (value === undefined || value === null || typeof value === 'object') return false;
  const text = String(value).trim();
  return rule.allow.some((allowed) => String(allowed) === text);
}
