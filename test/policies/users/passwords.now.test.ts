import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { PasswordChecker } from '../../../src/policies/users/passwords.js';
import { ManualClock } from '../../support/manualClock.js';

let checker: PasswordChecker;
afterEach(() => checker?.close());

describe('PasswordChecker.checkNow', () => {
  it('answers a plain password, an empty one and an unreadable stored one at once', () => {
    checker = new PasswordChecker();
    expect(checker.checkNow('plain-secret', 'plain-secret')).toBe(true);
    expect(checker.checkNow('plain-secret', 'wrong')).toBe(false);
    expect(checker.checkNow(bcrypt.hashSync('x', 4), '')).toBe(false);
    expect(checker.checkNow('$2b$broken', 'x')).toBe(false);
  });

  it('answers a hashed password only while a check of it is remembered, right or wrong', async () => {
    const clock = new ManualClock();
    checker = new PasswordChecker(undefined, clock);
    const stored = bcrypt.hashSync('hashed-secret', 4);
    expect(checker.checkNow(stored, 'hashed-secret')).toBeUndefined();
    expect(await checker.check(stored, 'hashed-secret')).toBe(true);
    expect(await checker.check(stored, 'guess')).toBe(false);
    expect(checker.checkNow(stored, 'hashed-secret')).toBe(true);
    expect(checker.checkNow(stored, 'guess')).toBe(false);
    clock.advance(61_000);
    expect(checker.checkNow(stored, 'hashed-secret')).toBeUndefined();
  });
});
