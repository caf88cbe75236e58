import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
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
async function verifyHash(stored: string, read: HashedPassword, given: string): Promise<boolean> {
  switch (read.format) {
    // The native addons are loaded on the first check against such a hash (node keeps them loaded after it):
    // most bridges keep no hashed passwords, and each `serve` paid for both at start. A malformed hash needs
    // neither: the config's validation reads it (config/passwordFormat.ts) and names the key.
    case 'bcrypt':
      return (await import('@node-rs/bcrypt')).verify(given, stored);
    case 'argon2':
      return (await import('@node-rs/argon2')).verify(stored, given);
    case 'scrypt': {
      const { N, r, p, salt, key } = read.scrypt;
      const derived = await scryptAsync(given, salt, key.length, { N, r, p, maxmem: 128 * N * r + 1024 * 1024 });
      return timingSafeEqual(derived, key);
    }
  }
}

type HashedPassword = Exclude<StoredPassword, { format: 'plain' }>;

/**
 * A check's result when known without hashing; else the hash to run (`read`) and where its result is remembered (`id`).
 */
type Known =
  | { readonly result: boolean; readonly id?: undefined; readonly read?: undefined }
  | { readonly result: boolean | undefined; readonly id: string; readonly read: HashedPassword };

const ACCEPTED: Known = { result: true };
const REFUSED: Known = { result: false };

/**
 * How long a verified (or refused) password is remembered: a hashed password then costs one hash per viewer, not per
 * request.
 */
const REMEMBER_SECONDS = 60;
const REMEMBER_MAX = 10_000;
/**
 * Hash checks in progress against one stored hash: a flood of guesses at one login holds at most this
 * many of libuv's four threads, so other logins' checks still run at once.
 */
const PENDING_PER_HASH = 2;

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
  /** Checks in progress per stored hash. */
  private readonly pendingPerHash = new Map<string, number>();

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

  /**
   * The result without waiting (a plain password, an empty one, a hash result remembered); undefined when a hash must
   * run.
   */
  checkNow(stored: string, given: string): boolean | undefined {
    return this.known(stored, given).result;
  }

  async check(stored: string, given: string): Promise<boolean> {
    const { result, id, read } = this.known(stored, given);
    if (result !== undefined) return result;
    let running = this.pending.get(id);
    if (!running) {
      const againstThisHash = this.pendingPerHash.get(stored) ?? 0;
      if (this.pending.size >= this.maxPending || againstThisHash >= PENDING_PER_HASH) return false;
      this.pendingPerHash.set(stored, againstThisHash + 1);
      running = verifyHash(stored, read, given)
        .catch(() => false)
        .then((ok) => {
          this.remembered.set(id, ok, REMEMBER_SECONDS);
          return ok;
        })
        .finally(() => {
          this.pending.delete(id);
          const left = this.pendingPerHash.get(stored)! - 1;
          if (left === 0) this.pendingPerHash.delete(stored);
          else this.pendingPerHash.set(stored, left);
        });
      this.pending.set(id, running);
    }
    return running;
  }

  /** What is known of a check at once; otherwise the hash to run and the key its result is remembered under. */
  private known(stored: string, given: string): Known {
    if (given === '') return REFUSED;
    const read = readStored(stored);
    if (typeof read === 'string') return REFUSED;
    if (read.format === 'plain') return sameText(stored, given) ? ACCEPTED : REFUSED;
    const id = createHmac('sha256', this.key).update(stored).update('\0').update(given).digest('base64');
    return { result: this.remembered.get(id), id, read };
  }

  close(): void {
    this.remembered.close();
  }
}
