import { closeSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** What the kernel holds for the connections of one listening port that the process has not read yet. */
export interface KernelQueues {
  /** Bytes received on accepted connections and not read yet, by the client's port. */
  readonly unreadByPeerPort: ReadonlyMap<number, number>;
}

/** Reads the kernel's queues for the connections on `port`; undefined where the kernel does not show them. */
export type KernelQueuesReader = (port: number) => Promise<KernelQueues | undefined>;

/** How many established connections wait in the accept queue of the listener on `port`; undefined where unseen. */
export type AcceptQueueReader = (port: number) => number | undefined;

/**
 * The process's own view of its network namespace's tables. Not /proc/net, the link to them: the shipped unit's
 * `ProcSubset=pid` hides it, and the drain then stopped without seeing what callers had sent.
 */
const LINUX_TABLES = ['/proc/self/net/tcp', '/proc/self/net/tcp6'];
// TCP states as /proc/net/tcp writes them (include/net/tcp_states.h).
const LISTEN = '0A';
const ESTABLISHED = '01';
const CLOSE_WAIT = '08';

const portOf = (hexAddress: string) => Number.parseInt(hexAddress.slice(hexAddress.lastIndexOf(':') + 1), 16);

/** "sl local_address rem_address st tx_queue:rx_queue ...": the fields read here, and the rx_queue count. */
function fieldsOf(line: string) {
  const [, local, remote, state, queues] = line.trim().split(/\s+/);
  if (local === undefined || remote === undefined || queues === undefined) return undefined;
  return {
    localPort: portOf(local),
    remote,
    state,
    rxQueue: Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16),
  };
}

/**
 * Linux shows, for a connected socket, the bytes received and not yet read
 * in the `rx_queue` column of /proc/net/tcp. That is how a drain knows that
 * nothing a caller sent is still waiting on a connection it would close:
 * there is no socket call for it that Node exposes. The tables list every
 * socket of the host, so they are read off the event loop (on a busy host the
 * kernel takes milliseconds to write them, and a loaded process seconds to
 * take them in).
 */
export async function readKernelQueues(
  port: number,
  tables: readonly string[] = LINUX_TABLES,
): Promise<KernelQueues | undefined> {
  const unreadByPeerPort = new Map<number, number>();
  let readable = false;
  for (const table of tables) {
    let text: string;
    try {
      text = await readFile(table, 'latin1');
    } catch {
      continue;
    }
    readable = true;
    for (const line of text.split('\n').slice(1)) {
      const row = fieldsOf(line);
      if (row === undefined || row.localPort !== port || (row.state !== ESTABLISHED && row.state !== CLOSE_WAIT))
        continue;
      const peer = portOf(row.remote);
      unreadByPeerPort.set(peer, (unreadByPeerPort.get(peer) ?? 0) + row.rxQueue);
    }
  }
  return readable ? { unreadByPeerPort } : undefined;
}

const CHUNK_BYTES = 16 * 1024;

/**
 * The listening sockets of one table: the kernel writes them before every other socket, so reading stops at the first
 * that is not.
 */
function listeningSockets(table: string): { localPort: number; rxQueue: number }[] | undefined {
  let fd: number;
  try {
    fd = openSync(table, 'r');
  } catch {
    return undefined;
  }
  const sockets: { localPort: number; rxQueue: number }[] = [];
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let partial = '';
  let header = true;
  try {
    for (;;) {
      const length = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      const lines = (partial + chunk.toString('latin1', 0, length)).split('\n');
      partial = length === 0 ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        const row = header ? undefined : fieldsOf(line);
        header = false;
        if (row?.state === LISTEN) sockets.push(row);
        else if (row !== undefined) return sockets;
      }
      if (length === 0) return sockets;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Linux shows, for a listening socket, the length of its accept queue in the
 * `rx_queue` column of /proc/net/tcp. Read synchronously, and only as far as
 * the listening sockets (a few kilobytes however many connections the host
 * has): the drain closes the listener in the same tick as it sees the queue
 * empty, so that no handshake completes in between, as far as it can help it.
 */
export function readAcceptQueue(port: number, tables: readonly string[] = LINUX_TABLES): number | undefined {
  let waiting: number | undefined;
  for (const table of tables) {
    const sockets = listeningSockets(table);
    if (sockets === undefined) continue;
    waiting ??= 0;
    for (const socket of sockets) if (socket.localPort === port) waiting += socket.rxQueue;
  }
  return waiting;
}
