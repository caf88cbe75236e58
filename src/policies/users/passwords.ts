import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import NodeCache from 'node-cache';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;

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

type StoredPassword =
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
function readStored(stored: string): StoredPassword | string {
  if (stored.startsWith('$2a$') || stored.startsWith('$2b$') || stored.startsWith('$2y$')) {
    return BCRYPT.test(stored) ? { format: 'bcrypt' } : 'looks like a bcrypt hash but is malformed';
  }
  if (stored.startsWith('$argon2')) return ARGON2.test(stored) ? { format: 'argon2' } : 'looks like an argon2 hash but is malformed';
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

/** Equal-length digests, so the comparison takes the same time whatever the texts. */
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * Every hash is checked off the event loop (native bcrypt and argon2, and
 * node's scrypt, run on libuv's thread pool): anyone can send
 * `auth=<login>:<guess>`, and a wrong guess is a fresh hash each time, which
 * on the event loop would stall every other viewer's answer.
 */
async function verifyHash(stored: string, read: Exclude<StoredPassword, { format: 'plain' }>, given: string): Promise<boolean> {
  switch (read.format) {
    case 'bcrypt':
      return bcryptVerify(given, stored);
    case 'argon2':
      return argon2Verify(stored, given);
    case 'scrypt': {
      const { N, r, p, salt, key } = read.scrypt;
      const derived = await scryptAsync(given, salt, key.length, { N, r, p, maxmem: 128 * N * r + 1024 * 1024 });
      return timingSafeEqual(derived, key);
    }
  }
}

/** How long a verified (or refused) password is remembered: a hashed password then costs one hash per viewer, not per request. */
const REMEMBER_SECONDS = 60;
const REMEMBER_MAX = 10_000;

/**
 * Checks passwords against plain text, bcrypt, argon2 or scrypt. Results of
 * hash checks (plain text needs none) are remembered briefly under an HMAC of (stored, given) with a
 * per-process key, so the plain password itself is never kept.
 */
export class PasswordChecker {
  private readonly key = randomBytes(32);
  private readonly remembered = new NodeCache({ stdTTL: REMEMBER_SECONDS, checkperiod: REMEMBER_SECONDS, maxKeys: REMEMBER_MAX, useClones: false });
  /** Identical checks arriving together share one hash computation. */
  private readonly pending = new Map<string, Promise<boolean>>();

  /**
   * @param maxPending hash checks in progress or queued for the thread pool;
   *   past it a new one is refused (as a wrong password would be), so a
   *   flood of guesses cannot queue without bound (a large scrypt takes
   *   hundreds of MiB) nor delay the checks already waiting further.
   */
  constructor(private readonly maxPending = 32) {}

  async check(stored: string, given: string): Promise<boolean> {
    if (given === '') return false;
    const read = readStored(stored);
    if (typeof read === 'string') return false;
    if (read.format === 'plain') return sameText(stored, given);
    const id = createHmac('sha256', this.key).update(stored).update('\0').update(given).digest('base64');
    const known = this.remembered.get<boolean>(id);
    if (known !== undefined) return known;
    let running = this.pending.get(id);
    if (!running) {
      if (this.pending.size >= this.maxPending) return false;
      running = verifyHash(stored, read, given)
        .catch(() => false)
        .then((ok) => {
          this.remember(id, ok);
          return ok;
        })
        .finally(() => this.pending.delete(id));
      this.pending.set(id, running);
    }
    return running;
  }

  private remember(id: string, ok: boolean): void {
    try {
      this.remembered.set(id, ok);
    } catch {
      // Full: this result is simply not remembered; the next check hashes again.
    }
  }

  close(): void {
    this.remembered.close();
  }
}
