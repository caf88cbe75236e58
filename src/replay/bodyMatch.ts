import { z } from 'zod';
import { valueMatches, type ExpectedValue } from './expectedValue.js';

/** A JSON field's expected value: text (or its SHA-256), or a number, boolean or null as such. */
export type ExpectedField = ExpectedValue | number | boolean | null;

/**
 * What a fixture expects of a request body: the whole text (or its SHA-256),
 * the listed top-level fields of a JSON object, or the listed fields of a
 * form (`a=1&b=2`, a list for a repeated field). What is not listed is not looked at.
 */
export type ExpectedBody =
  | ExpectedValue
  | { readonly json: Readonly<Record<string, ExpectedField>> }
  | { readonly form: Readonly<Record<string, ExpectedValue | readonly ExpectedValue[]>> };

/** Every listed parameter there, with exactly these values in this order (query and form alike). */
export function paramsMatch(
  expected: Readonly<Record<string, ExpectedValue | readonly ExpectedValue[]>>,
  received: Readonly<Record<string, readonly string[]>>,
): boolean {
  return Object.entries(expected).every(([key, value]) => {
    const values = (Object.hasOwn(received, key) ? received[key] : undefined) ?? [];
    const expectedValues = Array.isArray(value) ? value : [value];
    return (
      values.length === expectedValues.length &&
      expectedValues.every((one, i) => valueMatches(one as ExpectedValue, values[i]!))
    );
  });
}

/** A form body's fields, decoded as URLSearchParams does, repeated ones with all their values. */
export function formFields(text: string): Record<string, string[]> {
  const fields: Record<string, string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(text)) {
    fields[key] ??= [];
    fields[key].push(value);
  }
  return fields;
}

/** The JSON object a text holds, or undefined when it holds none. */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const document: unknown = JSON.parse(text);
    return document !== null && typeof document === 'object' && !Array.isArray(document)
      ? (document as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function fieldMatches(expected: ExpectedField, received: unknown): boolean {
  if (typeof expected === 'string' || (expected !== null && typeof expected === 'object'))
    return typeof received === 'string' && valueMatches(expected, received);
  return expected === received;
}

export function bodyMatches(expected: ExpectedBody, received: string): boolean {
  if (typeof expected === 'string' || 'sha256' in expected) return valueMatches(expected, received);
  if ('form' in expected) return paramsMatch(expected.form, formFields(received));
  const document = jsonObject(received);
  return (
    document !== undefined &&
    Object.entries(expected.json).every(
      ([key, value]) => Object.hasOwn(document, key) && fieldMatches(value, document[key]),
    )
  );
}

/** The fixture schema of `request.body`, given the schema of one expected value. */
export function expectedBodySchema(expectedValue: z.ZodType<ExpectedValue>) {
  return z.union(
    [
      expectedValue,
      z.strictObject({ json: z.record(z.string(), z.union([expectedValue, z.number(), z.boolean(), z.null()])) }),
      z.strictObject({ form: z.record(z.string(), z.union([expectedValue, z.array(expectedValue).min(2)])) }),
    ],
    { error: 'expected the body text, {"sha256": ...}, {"json": {field: value}} or {"form": {field: value}}' },
  );
}
