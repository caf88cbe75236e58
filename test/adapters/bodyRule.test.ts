import { describe, expect, it } from 'vitest';
import { bodyAllows, parseAnswerBody, UnparseableBody, valueAt } from '../../src/adapters/bodyRule.js';
import type { BodyRule } from '../../src/config/schema.js';

const json = (path: string, allow: BodyRule['allow']): BodyRule => ({ format: 'json', path, allow });
const xml = (path: string, allow: BodyRule['allow']): BodyRule => ({ format: 'xml', path, allow });
const body = (text: string) => Buffer.from(text, 'utf8');

/** The message of the UnparseableBody that `bodyAllows` throws, or undefined when it throws none. */
function refusal(rule: BodyRule, text: string): string | undefined {
  try {
    bodyAllows(rule, body(text));
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(UnparseableBody);
    return (error as Error).message;
  }
}

describe('valueAt', () => {
  it('follows a dotted path through objects and arrays', () => {
    const document = { result: { access: { granted: 1 } }, list: ['a', 'b'] };
    expect(valueAt(document, 'result.access.granted')).toBe(1);
    expect(valueAt(document, 'list.1')).toBe('b');
  });

  it('leads nowhere past a missing key, a scalar or null', () => {
    expect(valueAt({ a: 1 }, 'b')).toBeUndefined();
    expect(valueAt({ a: 1 }, 'a.b')).toBeUndefined();
    expect(valueAt({ a: null }, 'a.b')).toBeUndefined();
  });

  it('reads only own keys: a path through a prototype name finds nothing', () => {
    expect(valueAt({}, 'constructor')).toBeUndefined();
    expect(valueAt({ a: {} }, 'a.__proto__')).toBeUndefined();
    expect(valueAt({ a: {} }, 'a.toString')).toBeUndefined();
  });
});

describe('bodyAllows', () => {
  it('allows when the value at the path is one of the allowed, compared as text', () => {
    expect(bodyAllows(json('status', ['ok']), body('{"status":"ok"}'))).toBe(true);
    expect(bodyAllows(json('status', ['ok']), body('{"status":"denied"}'))).toBe(false);
    // A number in the answer matches a number or its text in the rule, and the other way round.
    expect(bodyAllows(json('error', [0]), body('{"error":0}'))).toBe(true);
    expect(bodyAllows(json('error', ['0']), body('{"error":0}'))).toBe(true);
    expect(bodyAllows(json('active', [true]), body('{"active":true}'))).toBe(true);
    expect(bodyAllows(json('active', [true]), body('{"active":"true "}'))).toBe(true);
  });

  it('denies when the path leads to nothing, null, an object or an array', () => {
    for (const text of ['{}', '{"ok":null}', '{"ok":{"value":1}}', '{"ok":[1]}'])
      expect(bodyAllows(json('ok', [1]), body(text)), text).toBe(false);
  });

  it('reads XML tags as text, so <ok>1</ok> matches allow [1] as JSON 1 does', () => {
    expect(bodyAllows(xml('answer.ok', [1]), body('<answer><ok>1</ok></answer>'))).toBe(true);
    expect(bodyAllows(xml('answer.ok', [1]), body('<answer><ok>0</ok></answer>'))).toBe(false);
    expect(bodyAllows(xml('answer.@status', ['ok']), body('<answer status="ok"/>'))).toBe(true);
    // A tag given twice reads as a list, which is no answer.
    expect(bodyAllows(xml('answer.ok', [1]), body('<answer><ok>0</ok><ok>1</ok></answer>'))).toBe(false);
  });

  it('reads JSON behind a byte order mark', () => {
    expect(bodyAllows(json('ok', [1]), body('\uFEFF{"ok":1}'))).toBe(true);
  });

  it('refuses a body that is not the format the rule reads', () => {
    expect(refusal(json('ok', [1]), '{"ok":1')).toBe('body is not valid JSON');
    expect(refusal(json('ok', [1]), '<ok>1</ok>')).toBe('body is not valid JSON');
    expect(refusal(xml('ok', [1]), '<ok>1</ko>')).toBe('body is not valid XML');
    expect(refusal(xml('ok', [1]), '{"ok":1}')).toBe('body is not valid XML');
  });

  it('refuses a key named twice, which JSON.parse would read by its last value', () => {
    expect(refusal(json('error', [0]), '{"error":1,"error":0}')).toBe('body names "error" twice');
    expect(refusal(json('a.b', [0]), '{"a":{"b":1,"b":0}}')).toBe('body names "a.b" twice');
  });

  it('refuses JSON nested deeper than any middleware answers', () => {
    const deep = `${'['.repeat(65)}1${']'.repeat(65)}`;
    expect(refusal(json('ok', [1]), deep)).toBe('body nested more than 64 levels deep');
    const shallow = `{"ok":1,"x":${'['.repeat(60)}1${']'.repeat(60)}}`;
    expect(refusal(json('ok', [1]), shallow)).toBeUndefined();
  });
});

describe('parseAnswerBody (for an adapter whose body decides)', () => {
  it('reads a document and refuses a JSON object naming a key twice, which JSON.parse would read as its last', () => {
    expect(parseAnswerBody('json', Buffer.from('\uFEFF{"ok":true,"user":"a"}'))).toEqual({ ok: true, user: 'a' });
    expect(() => parseAnswerBody('json', Buffer.from('{"ok":false,"ok":true}'))).toThrow(UnparseableBody);
    expect(() => parseAnswerBody('json', Buffer.from('<html>Busy'))).toThrow('body is not valid JSON');
  });
});
