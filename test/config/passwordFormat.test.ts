import { describe, expect, it } from 'vitest';
import { readStored, storedPasswordProblem } from '../../src/config/passwordFormat.js';

const BCRYPT = '$2y$04$cAs7C4G2AT7E9AYa64tmmen4ASAYFMKHGz6i9zgjuU1PHmYtjYb2i';
const ARGON2 = '$argon2id$v=19$m=19456,t=2,p=1$i/f+U1+UbLxs7Z9wGLLz7g$aMKeYSuWZPNg9JcdXu5T1ZG6/qQzBsqP737fxm/zaM8';
const SCRYPT = '$scrypt$N=16384,r=8,p=1$CFvgFM6y//Cp0KKrxwSGAQ==$ptif6i33GjkbV3gTiTJoROXBxMqzgtcZRyCRo8Ncr4w=';

describe('readStored', () => {
  it('tells plain text, bcrypt, argon2 and scrypt apart', () => {
    expect(readStored('s3cret')).toEqual({ format: 'plain' });
    expect(readStored(BCRYPT)).toEqual({ format: 'bcrypt' });
    expect(readStored(BCRYPT.replace('$2y$', '$2b$'))).toEqual({ format: 'bcrypt' });
    expect(readStored(ARGON2)).toEqual({ format: 'argon2' });
    expect(readStored(SCRYPT)).toMatchObject({ format: 'scrypt', scrypt: { N: 16384, r: 8, p: 1 } });
  });

  it('refuses a mangled hash, which read as a plain password would lock its user out without a word', () => {
    expect(storedPasswordProblem(BCRYPT.slice(0, -1))).toBe('looks like a bcrypt hash but is malformed');
    expect(storedPasswordProblem(ARGON2.replace('m=', 'mem='))).toBe('looks like an argon2 hash but is malformed');
    expect(storedPasswordProblem('$scrypt$N=16384$abc')).toMatch(/^looks like a scrypt hash but is not/);
  });

  it('refuses costs that would hold a libuv thread for minutes or take too much memory per check', () => {
    expect(storedPasswordProblem(BCRYPT.replace('$04$', '$15$'))).toBe(
      "bcrypt cost must be 4-14 (each step doubles a check's time), not 15",
    );
    expect(storedPasswordProblem(BCRYPT.replace('$04$', '$03$'))).toMatch(/not 3$/);
    expect(storedPasswordProblem(ARGON2.replace('m=19456', 'm=262145'))).toBe(
      'argon2 m asks for more than 256 MiB per check',
    );
    expect(storedPasswordProblem(ARGON2.replace('t=2', 't=17'))).toBe('argon2 t must be 1-16 and p 1-16');
    expect(storedPasswordProblem(SCRYPT.replace('N=16384', 'N=1000'))).toBe('scrypt N must be a power of two');
    expect(storedPasswordProblem(SCRYPT.replace('r=8', 'r=33'))).toBe('scrypt r must be 1-32 and p 1-16');
    expect(storedPasswordProblem(SCRYPT.replace('N=16384', 'N=524288'))).toBe(
      'scrypt N·r asks for more than 256 MiB per check',
    );
    // 128·N·r of exactly 256 MiB is still let through.
    expect(storedPasswordProblem(SCRYPT.replace('N=16384', 'N=262144'))).toBeUndefined();
    const shortKey = SCRYPT.replace(/\$[^$]+$/, '$c2hvcnQ=');
    expect(storedPasswordProblem(shortKey)).toBe('scrypt key must be at least 16 bytes');
  });

  it('has no problem with a usable password', () => {
    for (const stored of ['s3cret', BCRYPT, ARGON2, SCRYPT]) expect(storedPasswordProblem(stored)).toBeUndefined();
  });
});
