/**
 * Listening sockets handed over by systemd socket activation (sd_listen_fds(3)):
 * the service manager holds them while the bridge restarts, so a streaming
 * server's connection waits in the kernel's queue instead of being refused.
 * Astra lets every viewer in when it cannot connect to its backend.
 */

/** What the bridge listens for: viewer checks, and the admin API. */
export type SocketRole = 'decisions' | 'admin';

/** Passed descriptors start here: 0-2 are stdin, stdout and stderr. */
const FIRST_FD = 3;
const ROLES: readonly SocketRole[] = ['decisions', 'admin'];

/** The service manager's variables are wrong: the unit files need fixing, so starting would only hide it. */
export class SocketActivationError extends Error {
  constructor(message: string) {
    super(`socket activation: ${message}`);
    this.name = 'SocketActivationError';
  }
}

function roleOf(name: string, count: number, fd: number): SocketRole {
  if ((ROLES as readonly string[]).includes(name)) return name as SocketRole;
  // One socket without FileDescriptorName= gets the unit's name (or "unknown"): it is the decisions listener.
  if (count === 1) return 'decisions';
  throw new SocketActivationError(
    `LISTEN_FDNAMES: fd ${fd} is named "${name}"; with several sockets each needs FileDescriptorName=decisions or FileDescriptorName=admin`,
  );
}

/**
 * The sockets passed to this process, by role (file descriptor numbers).
 * Empty when nothing was passed, or when the variables were meant for another
 * process (`LISTEN_PID` is not ours, as sd_listen_fds(3) requires). The
 * variables are removed once read, so processes the bridge starts do not take
 * the sockets for theirs: call it once and hand the result on.
 */
export function takeInheritedSockets(
  env: NodeJS.ProcessEnv = process.env,
  pid: number = process.pid,
): ReadonlyMap<SocketRole, number> {
  const { LISTEN_FDS: fds, LISTEN_PID: listenPid, LISTEN_FDNAMES: fdNames } = env;
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  const sockets = new Map<SocketRole, number>();
  if (fds === undefined || listenPid === undefined || listenPid.trim() !== String(pid)) return sockets;
  if (!/^\d{1,4}$/.test(fds) || Number(fds) === 0)
    throw new SocketActivationError(`LISTEN_FDS: expected a positive number of sockets, got "${fds}"`);
  const count = Number(fds);
  const names = fdNames === undefined ? [] : fdNames.split(':');
  if (fdNames !== undefined && names.length !== count) {
    throw new SocketActivationError(`LISTEN_FDNAMES: names ${names.length} sockets but LISTEN_FDS passes ${count}`);
  }
  for (let index = 0; index < count; index++) {
    const fd = FIRST_FD + index;
    const role = roleOf(names[index] ?? 'unknown', count, fd);
    if (sockets.has(role))
      throw new SocketActivationError(
        `LISTEN_FDNAMES: two sockets are named "${role}" (fd ${sockets.get(role)} and fd ${fd})`,
      );
    sockets.set(role, fd);
  }
  if (!sockets.has('decisions'))
    throw new SocketActivationError(
      'no socket named "decisions" was passed (FileDescriptorName=decisions in the .socket unit)',
    );
  return sockets;
}
