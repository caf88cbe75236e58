import { describe, expect, it } from 'vitest';
import { isoTimestamps, jsonNumber } from '../src/log.js';
import { isJsonPlain } from '../src/stdoutBatch.js';

describe('jsonNumber', () => {
  it('writes every latency and status as JSON.stringify does', () => {
    const values = [0, -0, 1, 7, 10, 200, 403, 0.5, 0.05, 0.25, 1.1, 12.34, 99.99, 100.01, 1e9 + 0.07];
    for (let hundredths = 0; hundredths < 100_000; hundredths += 7) values.push(hundredths / 100);
    // Not hundredths, negative, huge, or beyond JSON: String's own text.
    values.push(0.1 + 0.2, 1e-7, 0.125, -1.5, -0.01, 2 ** 53, 1e21, 123456789012.34, Math.PI);
    expect(values.map(jsonNumber)).toEqual(values.map((value) => JSON.stringify(value)));
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      expect(jsonNumber(value)).toBe('null');
  });
});

describe('isJsonPlain', () => {
  it('says plain only what JSON.stringify writes unchanged between quotes, printable ASCII alone', () => {
    for (let code = 0; code < 0x10000; code++) {
      const text = `a${String.fromCharCode(code)}b`;
      expect(isJsonPlain(text), `U+${code.toString(16)}`).toBe(code < 0x7f && JSON.stringify(text) === `"${text}"`);
    }
  });
});

describe('isoTimestamps', () => {
  it('write what toISOString writes, across milliseconds, seconds and days', () => {
    let now = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    const timestamp = isoTimestamps(() => now);
    const until = now + 2500;
    const written: string[] = [];
    const expected: string[] = [];
    for (; now < until; now += 1) {
      // A second line in the same millisecond reads the same text.
      written.push(timestamp(), timestamp());
      expected.push(new Date(now).toISOString(), new Date(now).toISOString());
    }
    expect(written).toEqual(expected);
    now = 0;
    expect(timestamp()).toBe('1970-01-01T00:00:00.000Z');
    now = Date.UTC(2026, 0, 1, 0, 0, 0, 9);
    expect(timestamp()).toBe('2026-01-01T00:00:00.009Z');
  });
});
