import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { repeatedOption } from './repeatedOption.js';
import { DURATION_MESSAGE, parseDuration } from '../config/duration.js';
import { canonicalIp } from '../ipRanges.js';
import { isSignableSpan, signSecuretoken } from '../policies/securetoken.js';
import { viewerIp } from '../protocols/read.js';
import { RequestProblem } from '../requestProblem.js';

const SECURETOKEN_USAGE =
  'usage: iptv-auth-bridge securetoken --secret S --ip IP (--path P | --channel C) ' +
  `[--ttl 3h] [--start T] [--salt X] [--max-lifetime 2d]

Prints a securetoken for one viewer IP and one path (Alta, hash: path) or
channel id (Astra, hash: channel).

  --secret S          the securetoken secret; or set SECURETOKEN, which keeps it out of ps
  --ip IP             the viewer's IP address
  --path P            the path the viewer will ask for, e.g. /tv/travel-channel/index.m3u8
  --channel C         the channel id, e.g. a001
  --ttl D             how long the token is valid: 90, 90s, 15m, 3h, 2d (default 3h)
  --start T           10-digit unix seconds the token is valid from (default now)
  --salt X            letters and digits mixed into the hash (default 8 random hex digits)
  --max-lifetime D    the bridge's securetoken.maxLifetime (default 2d): a longer --ttl is refused
`;

const DEFAULT_TTL = '3h';
/** The default of `securetoken.maxLifetime`: a token the bridge would refuse is never printed. */
const DEFAULT_MAX_LIFETIME = '2d';

class SecuretokenUsageError extends Error {}

function durationOption(name: string, text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new SecuretokenUsageError(`--${name}: ${DURATION_MESSAGE}, got "${text}"`);
  return seconds;
}

function required(value: string | undefined, message: string): string {
  if (value === undefined || value === '') throw new SecuretokenUsageError(message);
  return value;
}

function tokenFor(args: string[], env: NodeJS.ProcessEnv, nowSeconds: number): string {
  const { values, tokens } = parseArgs({
    args,
    tokens: true,
    options: {
      secret: { type: 'string' },
      ip: { type: 'string' },
      path: { type: 'string' },
      channel: { type: 'string' },
      ttl: { type: 'string' },
      start: { type: 'string' },
      salt: { type: 'string' },
      'max-lifetime': { type: 'string' },
    },
  });
  const repeated = repeatedOption(tokens);
  if (repeated !== undefined) throw new SecuretokenUsageError(`--${repeated}: given more than once`);
  const secret = required(values.secret || env.SECURETOKEN, '--secret is required (or set SECURETOKEN)');
  const ip = required(values.ip, '--ip is required');
  if (isIP(ip) === 0) throw new SecuretokenUsageError(`--ip: not an IP address: ${ip}`);
  try {
    // An address no viewer has (0.0.0.0, broadcast, multicast): the bridge refuses it, so no token for it.
    viewerIp(ip, '--ip');
  } catch (error) {
    if (error instanceof RequestProblem) throw new SecuretokenUsageError(`${error.message}: ${ip}`);
    throw error;
  }
  if ((values.path === undefined) === (values.channel === undefined)) {
    throw new SecuretokenUsageError(
      'give exactly one of --path (Alta, hash: path) or --channel (Astra, hash: channel)',
    );
  }
  const subject =
    values.path !== undefined
      ? required(values.path, '--path must not be empty')
      : required(values.channel, '--channel must not be empty');
  const ttl = durationOption('ttl', values.ttl ?? DEFAULT_TTL);
  const maxLifetime = values['max-lifetime'] ?? DEFAULT_MAX_LIFETIME;
  if (ttl > durationOption('max-lifetime', maxLifetime)) {
    throw new SecuretokenUsageError(
      `--ttl: ${values.ttl ?? DEFAULT_TTL} is longer than the bridge accepts (--max-lifetime ${maxLifetime}, ` +
        "the bridge's securetoken.maxLifetime); raise both to sign longer links",
    );
  }
  const start =
    values.start === undefined ? nowSeconds : /^[1-9]\d{9}$/.test(values.start) ? Number(values.start) : undefined;
  if (start === undefined)
    throw new SecuretokenUsageError(
      `--start: expected 10-digit unix seconds, got "${values.start}" (no leading zero: from 2001-09-09 on)`,
    );
  if (!isSignableSpan(start, start + ttl))
    throw new SecuretokenUsageError(`--start: ${start} + --ttl ends past 9999999999, which no 10-digit time can say`);
  const salt = values.salt ?? randomBytes(4).toString('hex');
  if (!/^[A-Za-z0-9]{1,64}$/.test(salt)) throw new SecuretokenUsageError('--salt: expected 1 to 64 letters and digits');
  return signSecuretoken({
    secret,
    // The bridge checks the address in this canonical form (IPv4-mapped IPv6 as IPv4).
    ip: canonicalIp(ip),
    subject,
    start,
    end: start + ttl,
    salt,
  });
}

/** `securetoken`: prints a token; exit 0, or 2 with a message naming the option. */
export function securetokenCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): number {
  if (args.includes('--help') || args.includes('-h')) {
    out.write(SECURETOKEN_USAGE);
    return 0;
  }
  try {
    out.write(`${tokenFor(args, env, Math.floor(Date.now() / 1000))}\n`);
    return 0;
  } catch (error) {
    const isUsage =
      error instanceof SecuretokenUsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    if (!isUsage) throw error;
    err.write(`securetoken: ${(error as Error).message}\n\n${SECURETOKEN_USAGE}`);
    return 2;
  }
}
