import { formFields, jsonObject, type ExpectedBody, type ExpectedField } from '../replay/bodyMatch.js';
import { sha256Hex, type ExpectedValue } from '../replay/expectedValue.js';

/** How a recording says what one request value must be: masked (hashed) when it holds a secret. */
export type Expect = (name: string, value: string) => ExpectedValue;

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

/** The clear text values a body carries, by name: what a recording must mask wherever it shows. */
export function bodyValues(body: string, contentType: string | undefined): Array<[string, string]> {
  const type = mediaType(contentType);
  if (type === 'application/x-www-form-urlencoded')
    return Object.entries(formFields(body)).flatMap(([name, values]) =>
      values.map((value): [string, string] => [name, value]),
    );
  const document = type === 'application/json' ? jsonObject(body) : undefined;
  if (!document) return [];
  return Object.entries(document).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
}

/**
 * A request body as a fixture expects it: a JSON object's top-level fields
 * (nested values are not compared), a form's fields, else the whole text;
 * every value that is or holds a secret as its SHA-256.
 */
export function recordedBody(
  body: string,
  contentType: string | undefined,
  expect: Expect,
  holdsSecret: (text: string) => boolean,
): ExpectedBody {
  const type = mediaType(contentType);
  if (type === 'application/x-www-form-urlencoded') {
    const fields = Object.entries(formFields(body)).map(([name, values]) => {
      const expected = values.map((value) => expect(name, value));
      return [name, expected.length === 1 ? expected[0]! : expected] as const;
    });
    return { form: Object.fromEntries(fields) };
  }
  const document = type === 'application/json' ? jsonObject(body) : undefined;
  if (document) {
    const fields: Array<[string, ExpectedField]> = [];
    for (const [name, value] of Object.entries(document)) {
      if (typeof value === 'string') fields.push([name, expect(name, value)]);
      else if (value === null || typeof value === 'number' || typeof value === 'boolean') fields.push([name, value]);
    }
    return { json: Object.fromEntries(fields) };
  }
  return holdsSecret(body) ? { sha256: sha256Hex(body) } : body;
}
