import { describe, expect, it } from 'vitest';
import { bodyMatches, expectedBodySchema, formFields, jsonObject, paramsMatch } from '../../src/replay/bodyMatch.js';
import { expectedValue, sha256Hex } from '../../src/replay/expectedValue.js';

const SECRET = 's3cret-token';
const HASHED = { sha256: sha256Hex(SECRET) };

describe('paramsMatch', () => {
  it('wants every listed parameter with exactly its values, in order; others are not looked at', () => {
    const received = { token: [SECRET], channel: ['a001'], extra: ['x'] };
    expect(paramsMatch({ token: HASHED, channel: 'a001' }, received)).toBe(true);
    expect(paramsMatch({ channel: 'a002' }, received)).toBe(false);
    expect(paramsMatch({ missing: 'x' }, received)).toBe(false);
    expect(paramsMatch({ id: ['1', '2'] }, { id: ['1', '2'] })).toBe(true);
    expect(paramsMatch({ id: ['2', '1'] }, { id: ['1', '2'] })).toBe(false);
    // One value expected where two came is no match: a parameter given twice is what a fixture must say.
    expect(paramsMatch({ id: '1' }, { id: ['1', '2'] })).toBe(false);
  });

  it('finds no parameter named after a prototype key', () => {
    expect(paramsMatch({ constructor: 'x' }, {})).toBe(false);
  });
});

describe('formFields and jsonObject', () => {
  it('decode a form as URLSearchParams does, keeping every value of a repeated field', () => {
    expect(formFields('a=1&b=x+y&a=%32')).toEqual({ a: ['1', '2'], b: ['x y'] });
    expect(Object.getPrototypeOf(formFields(''))).toBeNull();
  });

  it('read a JSON object, and nothing from other JSON or other text', () => {
    expect(jsonObject('{"a":1}')).toEqual({ a: 1 });
    for (const text of ['[1]', 'null', '1', '{"a":', 'a=1']) expect(jsonObject(text), text).toBeUndefined();
  });
});

describe('bodyMatches', () => {
  it('compares the whole text, or its digest', () => {
    expect(bodyMatches('login=alice', 'login=alice')).toBe(true);
    expect(bodyMatches('login=alice', 'login=bob')).toBe(false);
    expect(bodyMatches(HASHED, SECRET)).toBe(true);
  });

  it('compares the listed fields of a form', () => {
    expect(bodyMatches({ form: { login: 'alice', password: HASHED } }, `password=${SECRET}&login=alice&x=1`)).toBe(
      true,
    );
    expect(bodyMatches({ form: { login: 'alice' } }, 'login=bob')).toBe(false);
  });

  it('compares the listed top-level fields of a JSON object, numbers and booleans as such', () => {
    const text = JSON.stringify({ token: SECRET, channel: 'a001', limit: 2, active: true, note: null });
    expect(bodyMatches({ json: { token: HASHED, limit: 2, active: true, note: null } }, text)).toBe(true);
    // 2 is not "2": the type is part of what a middleware was sent.
    expect(bodyMatches({ json: { limit: '2' } }, text)).toBe(false);
    expect(bodyMatches({ json: { channel: 'a002' } }, text)).toBe(false);
    expect(bodyMatches({ json: { missing: null } }, text)).toBe(false);
    expect(bodyMatches({ json: {} }, 'not json')).toBe(false);
  });

  it('has a fixture schema that names the four forms a body may be expected in', () => {
    const schema = expectedBodySchema(expectedValue);
    expect(schema.parse({ json: { a: 1 } })).toEqual({ json: { a: 1 } });
    expect(schema.parse({ form: { a: ['1', '2'] } })).toEqual({ form: { a: ['1', '2'] } });
    // A one-value list is written as the value: a list says the field is repeated.
    expect(schema.safeParse({ form: { a: ['1'] } }).success).toBe(false);
    expect(schema.safeParse({ xml: 'x' }).error?.issues[0]?.message).toBe(
      'expected the body text, {"sha256": ...}, {"json": {field: value}} or {"form": {field: value}}',
    );
  });
});
