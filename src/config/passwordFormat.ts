/**
 * How configured passwords are written (plain text, bcrypt, argon2, scrypt),
 * read without the hashing libraries: validating a config needs no native code.
 */
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const ARGON2 = /^\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const BASE64 = '[A-Za-z0-9+/]+={0,2}';
/** `$scrypt$N=16384,r=8,p=1$<salt, base64>$<derived key, base64>`; the key length is the decoded key's length. */
const SCRYPT = new RegExp(`^\\$scrypt\\$N=(\\d+),r=(\\d+),p=(\\d+)\\$(${BASE64})\\$(${BASE64})$`);

/** Bounds that keep one verification from eating the machine's memory (scrypt needs 128·N·r bytes). */
const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;
const SCRYPT_MIN_KEY_BYTES = 16;

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
    return BCRYPT.test(stored) ? { format: 'bcrypt' } : 'looks like a bcrypt hash but is malformed';
  }
  if (stored.startsWith('$argon2'))
    return ARGON2.test(stored) ? { format: 'argon2' } : 'looks like an argon2 hash but is malformed';
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
