import { hasReadableCredentials } from './fields.js';

/** Where `cache.redisUrl` points: one server, or the servers Sentinel names as the primary of a group. */
export type RedisTarget =
  | { readonly kind: 'server'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly { readonly host: string; readonly port: number }[];
      /** The monitored group's name (`sentinel monitor <name> ...`). */
      readonly name: string;
      readonly db: number;
      readonly username?: string;
      /** The primary's and replicas' password, not the sentinels'. */
      readonly password?: string;
    };

export const REDIS_URL_FORMS =
  'expected redis://[[user]:password@]host[:port][/db], rediss://... or ' +
  'redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/<primary name>[/db] (ports 1-65535, db a number)';

const SENTINEL_PORT = 26_379;
const SENTINEL_SCHEME = 'redis+sentinel://';
/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/;
/** What Sentinel accepts as a group name, less what would make the path ambiguous. */
const GROUP_NAME = /^[A-Za-z0-9._-]{1,64}$/;

const isPort = (port: number) => Number.isInteger(port) && port >= 1 && port <= 65_535;

function parseServerUrl(text: string): RedisTarget | undefined {
  if (!URL.canParse(text) || !hasReadableCredentials(text)) return undefined;
  const url = new URL(text);
  const portOk = url.port === '' || isPort(Number(url.port));
  const ok =
    (url.protocol === 'redis:' || url.protocol === 'rediss:') &&
    url.hostname !== '' &&
    portOk &&
    /^(\/\d*)?$/.test(url.pathname);
  return ok ? { kind: 'server', url: text } : undefined;
}

function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function parseSentinelUrl(text: string): RedisTarget | undefined {
  const rest = text.slice(SENTINEL_SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash === -1) return undefined;
  const authority = rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  const credentials = at === -1 ? undefined : authority.slice(0, at);
  const hosts = authority.slice(at + 1).split(',');
  const sentinels = hosts.map((hostPort) => {
    const match = HOST_PORT.exec(hostPort);
    if (!match) return undefined;
    const port = match[3] === undefined ? SENTINEL_PORT : Number(match[3]);
    return isPort(port) ? { host: match[1] ?? match[2]!, port } : undefined;
  });
  const [name, db = '0', ...more] = rest.slice(slash + 1).split('/');
  if (sentinels.some((s) => s === undefined) || name === undefined || !GROUP_NAME.test(name)) return undefined;
  if (more.length > 0 || !/^\d{0,5}$/.test(db)) return undefined;
  let username: string | undefined;
  let password: string | undefined;
  if (credentials !== undefined) {
    const colon = credentials.indexOf(':');
    username = decoded(colon === -1 ? credentials : credentials.slice(0, colon));
    password = colon === -1 ? undefined : decoded(credentials.slice(colon + 1));
    if (username === undefined || (colon !== -1 && password === undefined)) return undefined;
  }
  return {
    kind: 'sentinel',
    sentinels: sentinels as { host: string; port: number }[],
    name,
    db: Number(db || '0'),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/** What `cache.redisUrl` names, or undefined when it is none of the forms in REDIS_URL_FORMS. */
export function parseRedisUrl(text: string): RedisTarget | undefined {
  return text.startsWith(SENTINEL_SCHEME) ? parseSentinelUrl(text) : parseServerUrl(text);
}
