import { randomBytes, scryptSync } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import * as nativeBcrypt from '@node-rs/bcrypt';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { storedPasswordProblem } from '../../../src/config/passwordFormat.js';
import { PasswordChecker } from '../../../src/policies/users/passwords.js';

// Hashes are made with bcryptjs, an implementation independent of the one the bridge checks with.
vi.mock('@node-rs/bcrypt', async (importOriginal) => {
  const original = await importOriginal<typeof import('@node-rs/bcrypt')>();
  return { ...original, verify: vi.fn(original.verify) };
});

/** The documented scrypt format, built independently with node:crypto. */
function scryptHash(password: string, N = 16384, r = 8, p = 1): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N, r, p });
  return `$scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

let checker: PasswordChecker;
afterEach(() => checker?.close());

describe('password formats', () => {
  it.each([
    ['plain text', async () => 'пароль-87326848'],
    ['bcrypt $2b$', async () => bcrypt.hashSync('пароль-87326848', 4)],
    ['bcrypt $2y$ (PHP)', async () => bcrypt.hashSync('пароль-87326848', 4).replace(/^\$2b\$/, '$2y$')],
    ['argon2id', () => argon2Hash('пароль-87326848')],
    ['argon2i', () => argon2Hash('пароль-87326848', { algorithm: 1 })],
    ['scrypt', async () => scryptHash('пароль-87326848')],
  ])('%s: the right password passes, a wrong or empty one does not', async (_format, make) => {
    const stored = await make();
    expect(storedPasswordProblem(stored)).toBeUndefined();
    checker = new PasswordChecker();
    expect(await checker.check(stored, 'пароль-87326848')).toBe(true);
    expect(await checker.check(stored, 'пароль-87326849')).toBe(false);
    expect(await checker.check(stored, '')).toBe(false);
  });

  it.each([
    ['$2b$04$tooShort', 'bcrypt'],
    [bcrypt.hashSync('x', 4).replace('$04$', '$15$'), 'bcrypt cost must be 4-14'],
    [bcrypt.hashSync('x', 4).replace('$04$', '$31$'), 'not 31'],
    [bcrypt.hashSync('x', 4).replace('$04$', '$03$'), 'bcrypt cost must be 4-14'],
    ['$argon2id$v=19$m=524288,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g', '256 MiB'],
    ['$argon2id$v=19$m=65536,t=100,p=4$c2FsdHNhbHQ$aGFzaGhhc2g', 'argon2 t must be 1-16'],
    ['$argon2id$v=19$m=65536$broken', 'argon2'],
    ['$scrypt$N=16384,r=8$c2FsdA==$a2V5', 'scrypt'],
    [`$scrypt$N=1000,r=8,p=1$c2FsdA==$${Buffer.alloc(32).toString('base64')}`, 'power of two'],
    [`$scrypt$N=1048576,r=32,p=1$c2FsdA==$${Buffer.alloc(32).toString('base64')}`, '256 MiB'],
    ['$scrypt$N=16384,r=8,p=1$c2FsdA==$a2V5', 'at least 16 bytes'],
  ])('a malformed hash %s is refused (%s)', (stored, words) => {
    expect(storedPasswordProblem(stored)).toContain(words);
  });

  it('reads text that does not start like a hash as a plain password', () => {
    expect(storedPasswordProblem('$ecret$')).toBeUndefined();
    expect(storedPasswordProblem('2b$04$x')).toBeUndefined();
  });
});

describe('remembered checks', () => {
  it('a hashed password costs one hash computation per (password, answer), not one per request', async () => {
    const stored = bcrypt.hashSync('right', 4);
    const verify = vi.mocked(nativeBcrypt.verify);
    verify.mockClear();
    checker = new PasswordChecker();
    const together = await Promise.all([
      checker.check(stored, 'right'),
      checker.check(stored, 'right'),
      checker.check(stored, 'right'),
    ]);
    expect(together).toEqual([true, true, true]);
    expect(await checker.check(stored, 'right')).toBe(true);
    expect(await checker.check(stored, 'wrong')).toBe(false);
    expect(await checker.check(stored, 'wrong')).toBe(false);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('refuses new hash checks while too many are waiting, so a flood of guesses cannot queue without bound', async () => {
    const stored = bcrypt.hashSync('right', 8);
    checker = new PasswordChecker(2);
    const flood = [checker.check(stored, 'guess-1'), checker.check(stored, 'guess-2')];
    expect(await checker.check(stored, 'right')).toBe(false);
    expect(await Promise.all(flood)).toEqual([false, false]);
    expect(await checker.check(stored, 'right')).toBe(true);
  });

  it('a flood of guesses at one login holds two hash checks at most: another login is checked at once', async () => {
    const attacked = bcrypt.hashSync('right', 8);
    const other = bcrypt.hashSync('other-right', 4);
    checker = new PasswordChecker();
    const flood = [checker.check(attacked, 'guess-1'), checker.check(attacked, 'guess-2')];
    expect(await checker.check(attacked, 'guess-3')).toBe(false);
    expect(await checker.check(other, 'other-right')).toBe(true);
    expect(await Promise.all(flood)).toEqual([false, false]);
    // The flood over, the login is checked again.
    expect(await checker.check(attacked, 'right')).toBe(true);
  });

  it('a changed stored hash is checked afresh', async () => {
    checker = new PasswordChecker();
    expect(await checker.check(bcrypt.hashSync('old', 4), 'old')).toBe(true);
    expect(await checker.check(bcrypt.hashSync('new', 4), 'old')).toBe(false);
  });
});
