/**
 * How configured passwords are written (plain text, bcrypt, argon2, scrypt),
 * read without the hashing libraries: validating a config needs no native code.
 */
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const ARGON2 = /^\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const BASE64 = '[A-Za-z0-9+/]+={0,2}';
/** `$scrypt$N=16384,r=8,p=1$<salt, base64>$<derived key, base64>`; the key length is the decoded key's length. */
const SCRYPT = new RegExp(`^\\$scrypt\\$N=(\\d+),r=(\\d+),p=(\\d+)\\$(${BASE64})\\$(${BASE64})$`);

/** Bounds that keep one verification from eating the machine's memory (scrypt needs 128·N·r bytes). */
const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;
const SCRYPT_MIN_KEY_BYTES = 16;
/**
 * Each bcrypt cost step doubles a check's time: 14 takes about a second here. A higher cost would hold
 * one of libuv's four threads for minutes per guess, and every other login's check would wait behind it.
 */
const BCRYPT_COSTS = { min: 4, max: 14 };
/** argon2's memory (KiB) is bounded like scrypt's, its passes and lanes like scrypt's r and p. */
const ARGON2_MAX = { memoryKiB: SCRYPT_MAX_MEMORY / 1024, passes: 16, lanes: 16 };

interface ScryptHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

export type StoredPassword =
  | { readonly format: 'plain' }
  | { readonly format: 'bcrypt' | 'argon2' }
  | { readonly format: 'scrypt'; readonly scrypt: ScryptHash };

function parseScrypt(stored: string): ScryptHash | string {
  const match = SCRYPT.exec(stored);
  if (!match) return 'looks like a scrypt hash but is not "$scrypt$N=16384,r=8,p=1$<salt base64>$<key base64>"';
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (N < 2 || (N & (N - 1)) !== 0) return 'scrypt N must be a power of two';
  if (r < 1 || r > 32 || p < 1 || p > 16) return 'scrypt r must be 1-32 and p 1-16';
  if (128 * N * r > SCRYPT_MAX_MEMORY) return 'scrypt N·r asks for more than 256 MiB per check';
  const key = Buffer.from(match[5]!, 'base64');
  if (key.length < SCRYPT_MIN_KEY_BYTES) return `scrypt key must be at least ${SCRYPT_MIN_KEY_BYTES} bytes`;
  return { N, r, p, salt: Buffer.from(match[4]!, 'base64'), key };
}

/**
 * How a configured password is stored. Text that starts like a hash must be a
 * well-formed hash: a mangled hash read as a plain password would lock the
 * user out without a word.
 */
export function readStored(stored: string): StoredPassword | string {
  if (stored.startsWith('$2a$') || stored.startsWith('$2b$') || stored.startsWith('$2y$')) {
    const match = BCRYPT.exec(stored);
    if (!match) return 'looks like a bcrypt hash but is malformed';
    const cost = Number(match[1]);
    const costs = `${BCRYPT_COSTS.min}-${BCRYPT_COSTS.max}`;
    if (cost < BCRYPT_COSTS.min || cost > BCRYPT_COSTS.max)
      return `bcrypt cost must be ${costs} (each step doubles a check's time), not ${cost}`;
    return { format: 'bcrypt' };
  }
  if (stored.startsWith('$argon2')) {
    const match = ARGON2.exec(stored);
    if (!match) return 'looks like an argon2 hash but is malformed';
    const [m, t, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (m > ARGON2_MAX.memoryKiB) return 'argon2 m asks for more than 256 MiB per check';
    if (t < 1 || t > ARGON2_MAX.passes || p < 1 || p > ARGON2_MAX.lanes) return 'argon2 t must be 1-16 and p 1-16';
    return { format: 'argon2' };
  }
  if (stored.startsWith('$scrypt$')) {
    const scrypt = parseScrypt(stored);
    return typeof scrypt === 'string' ? scrypt : { format: 'scrypt', scrypt };
  }
  return { format: 'plain' };
}

/** Why a configured password cannot be used, or undefined when it can. */
export function storedPasswordProblem(stored: string): string | undefined {
  const read = readStored(stored);
  return typeof read === 'string' ? read : undefined;
}
