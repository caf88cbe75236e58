import { readFile } from 'node:fs/promises';

/** What the kernel holds for one listening port that the process has not taken in yet. */
export interface KernelQueues {
  /** Connections the kernel has established that wait in the listening socket's accept queue. */
  readonly waitingToBeAccepted: number;
  /** Bytes received on accepted connections and not read yet, by the client's port. */
  readonly unreadByPeerPort: ReadonlyMap<number, number>;
}

/** Reads the kernel's queues for the listener on `port`; undefined where the kernel does not show them. */
export type KernelQueuesReader = (port: number) => Promise<KernelQueues | undefined>;

const LINUX_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];
// TCP states as /proc/net/tcp writes them (include/net/tcp_states.h).
const LISTEN = '0A';
const ESTABLISHED = '01';
const CLOSE_WAIT = '08';

const portOf = (hexAddress: string) => Number.parseInt(hexAddress.slice(hexAddress.lastIndexOf(':') + 1), 16);

/**
 * Linux shows, for a listening socket, the length of its accept queue in the
 * `rx_queue` column of /proc/net/tcp, and for a connected socket the bytes
 * received and not yet read. That is how a drain knows that nothing a caller
 * sent is still waiting: there is no socket call for it that Node exposes.
 * The tables list every socket of the host, so they are read off the event
 * loop (on a busy host the kernel takes milliseconds to write them).
 */
export async function readKernelQueues(
  port: number,
  tables: readonly string[] = LINUX_TABLES,
): Promise<KernelQueues | undefined> {
  let waitingToBeAccepted = 0;
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
      // "sl local_address rem_address st tx_queue:rx_queue ..."
      const [, local, remote, state, queues] = line.trim().split(/\s+/);
      if (local === undefined || remote === undefined || queues === undefined || portOf(local) !== port) continue;
      const unread = Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16);
      if (state === LISTEN) waitingToBeAccepted += unread;
      else if (state === ESTABLISHED || state === CLOSE_WAIT) {
        const peer = portOf(remote);
        unreadByPeerPort.set(peer, (unreadByPeerPort.get(peer) ?? 0) + unread);
      }
    }
  }
  return readable ? { waitingToBeAccepted, unreadByPeerPort } : undefined;
}
