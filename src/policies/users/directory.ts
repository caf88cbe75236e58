import type { LocalUser, Packages } from '../../config/policySchema.js';
import type { ViewerRequest } from '../../viewer.js';
import { inRange, ipRange, parseAddress, type IpRange } from '../../ipRanges.js';

/** A local user, ready to be checked against a viewer. */
export interface DirectoryUser {
  readonly login: string;
  readonly password?: string;
  readonly token?: string;
  readonly ranges?: readonly IpRange[];
  /** Unix seconds. */
  readonly expires?: number;
  readonly enabled: boolean;
  readonly maxConnections?: number;
  /** Every channel of the user's packages; undefined: the user may watch every channel. */
  readonly channels?: ReadonlySet<string>;
}

/** One consistent set of local users; replaced as a whole when the users file changes. */
export interface UserDirectory {
  readonly size: number;
  byToken(token: string): DirectoryUser | undefined;
  byLogin(login: string): DirectoryUser | undefined;
}

function directoryUser(user: LocalUser, packages: Packages): DirectoryUser {
  return {
    login: user.login,
    password: user.password,
    token: user.token,
    ranges: user.ip?.map(ipRange),
    expires: user.expires,
    enabled: user.enabled,
    maxConnections: user.maxConnections,
    channels: user.packages && new Set(user.packages.flatMap((name) => packages[name] ?? [])),
  };
}

/**
 * Collects users already validated together (unique logins and tokens, known packages) into a directory.
 * A reload of a large file adds them a slice at a time, so the event loop answers checks in between.
 */
export class UserDirectoryBuilder {
  private readonly byLogin = new Map<string, DirectoryUser>();
  private readonly byToken = new Map<string, DirectoryUser>();

  constructor(private readonly packages: Packages) {}

  add(users: readonly LocalUser[]): void {
    for (const user of users) {
      const entry = directoryUser(user, this.packages);
      this.byLogin.set(entry.login, entry);
      if (entry.token !== undefined) this.byToken.set(entry.token, entry);
    }
  }

  build(): UserDirectory {
    const { byLogin, byToken } = this;
    return {
      size: byLogin.size,
      byToken: (token) => byToken.get(token),
      byLogin: (login) => byLogin.get(login.normalize('NFC')),
    };
  }
}

/** Users already validated together, in one go. */
export function buildUserDirectory(users: readonly LocalUser[], packages: Packages): UserDirectory {
  const builder = new UserDirectoryBuilder(packages);
  builder.add(users);
  return builder.build();
}

export type Refusal = 'disabled' | 'expired' | 'IP not allowed' | 'channel not in packages';

/** Why a known user may not watch this request, or undefined when they may (connection limits aside). */
export function userRefusal(user: DirectoryUser, viewer: ViewerRequest, nowSeconds: number): Refusal | undefined {
  if (!user.enabled) return 'disabled';
  if (user.expires !== undefined && nowSeconds >= user.expires) return 'expired';
  if (user.ranges) {
    const address = parseAddress(viewer.ip);
    if (!address || !user.ranges.some((range) => inRange(address, range))) return 'IP not allowed';
  }
  if (user.channels && (viewer.channel === undefined || !user.channels.has(viewer.channel)))
    return 'channel not in packages';
  return undefined;
}
