import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { type Clock, systemClock } from '../../clock.js';
import { ExpiringCache } from '../../store/expiringCache.js';
import { readStored, type StoredPassword } from '../../config/passwordFormat.js';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;

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
async function verifyHash(
  stored: string,
  read: Exclude<StoredPassword, { format: 'plain' }>,
  given: string,
): Promise<boolean> {
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
  /** When full, a result is simply not remembered; the next check hashes again. */
  private readonly remembered: ExpiringCache<boolean>;
  /** Identical checks arriving together share one hash computation. */
  private readonly pending = new Map<string, Promise<boolean>>();

  /**
   * @param maxPending hash checks in progress or queued for the thread pool;
   *   past it a new one is refused (as a wrong password would be), so a
   *   flood of guesses cannot queue without bound (a large scrypt takes
   *   hundreds of MiB) nor delay the checks already waiting further.
   * @param clock what remembered results expire by.
   */
  constructor(
    private readonly maxPending = 32,
    clock: Clock = systemClock,
  ) {
    this.remembered = new ExpiringCache<boolean>(REMEMBER_MAX, clock);
  }

  async check(stored: string, given: string): Promise<boolean> {
    if (given === '') return false;
    const read = readStored(stored);
    if (typeof read === 'string') return false;
    if (read.format === 'plain') return sameText(stored, given);
    const id = createHmac('sha256', this.key).update(stored).update('\0').update(given).digest('base64');
    const known = this.remembered.get(id);
    if (known !== undefined) return known;
    let running = this.pending.get(id);
    if (!running) {
      if (this.pending.size >= this.maxPending) return false;
      running = verifyHash(stored, read, given)
        .catch(() => false)
        .then((ok) => {
          this.remembered.set(id, ok, REMEMBER_SECONDS);
          return ok;
        })
        .finally(() => this.pending.delete(id));
      this.pending.set(id, running);
    }
    return running;
  }

  close(): void {
    this.remembered.close();
  }
}
