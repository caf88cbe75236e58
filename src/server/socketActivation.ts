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

/** Where a socket's name is doubtful: the operator's log, which `serve` and the primary have by then. */
export type SocketWarning = (
  message: string,
  fields: { fd: number; name: string; expected: readonly string[] },
) => void;

/**
 * A name systemd gives a socket nobody named: the unit's name (FileDescriptorName= defaults to it,
 * `.socket` included), "unknown" (what sd_listen_fds_with_names(3) reports without names), or none.
 * Any other name was written by someone, and missed.
 */
function isDefaultName(name: string | undefined): boolean {
  return name === undefined || name === 'unknown' || name.endsWith('.socket');
}

function roleOf(name: string | undefined, count: number, fd: number, warn: SocketWarning): SocketRole {
  if (name !== undefined && (ROLES as readonly string[]).includes(name)) return name as SocketRole;
  // One socket without FileDescriptorName= gets the unit's name (or none): it is the decisions listener.
  if (count === 1) {
    // A typo (`decison`) still serves, as it always did, but says so: the admin socket it was maybe
    // meant to be is missing.
    if (!isDefaultName(name))
      warn(
        `socket activation: fd ${fd} is named "${name}", which names no listener (expected "decisions" or "admin"); ` +
          'it is served as the decisions listener, the only socket passed',
        { fd, name: name as string, expected: ROLES },
      );
    return 'decisions';
  }
  throw new SocketActivationError(
    `LISTEN_FDNAMES: fd ${fd} is named "${name ?? 'unknown'}"; ` +
      'with several sockets each needs FileDescriptorName=decisions or FileDescriptorName=admin',
  );
}

/**
 * The sockets passed to this process, by role (file descriptor numbers).
 * Empty when nothing was passed, or when the variables were meant for another
 * process (`LISTEN_PID` is not ours, as sd_listen_fds(3) requires). The
 * variables are removed once read, so processes the bridge starts do not take
 * the sockets for theirs: call it once and hand the result on. A name that
 * matches no listener on the only socket passed is served, with a warning.
 */
export function takeInheritedSockets(
  warn: SocketWarning,
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
    const role = roleOf(names[index], count, fd, warn);
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
