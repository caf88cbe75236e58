import type { Server } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { ConnectionTracker } from './connections.js';
import { readKernelQueues, type KernelQueuesReader } from './kernelQueues.js';

export interface DrainOptions {
  /** The longest the drain may take; whatever is still open then is closed. */
  readonly graceMs: number;
  /** How long between two looks at the kernel's queues and the connections. */
  readonly pollMs?: number;
  readonly kernelQueues?: KernelQueuesReader;
  /**
   * The listening socket was passed in (socket activation) and outlives this
   * process: what waits in its queue is the next process's to answer, so the
   * listener closes at once instead of emptying the queue.
   */
  readonly queueOutlivesProcess?: boolean;
  readonly now?: () => number;
}

/**
 * Stops the listener so that nothing a caller already sent goes unanswered.
 *
 * Closing a listening socket resets the connections waiting in its accept
 * queue, and each of them may hold a check (a streaming server that gets a
 * reset lets the viewer in). So the listener keeps accepting until the
 * kernel shows its accept queue empty, and only then closes. Node's own
 * `server.close()` would also drop every connection with no request parsed
 * yet, including those whose check is still unread in the kernel: here a
 * connection is closed only when it has nothing unanswered, nothing arriving
 * and nothing unread. Answers given meanwhile carry `Connection: close`.
 */
export function drain(server: Server, tracker: ConnectionTracker, options: DrainOptions): Promise<void> {
  const {
    graceMs,
    pollMs = 20,
    kernelQueues = readKernelQueues,
    queueOutlivesProcess = false,
    now = Date.now,
  } = options;
  tracker.startClosing();
  const port = (server.address() as AddressInfo | null)?.port;
  const deadline = now() + graceMs;
  let listening = server.listening;
  let rounds = 0;
  const closeListener = () => {
    listening = false;
    // net's close, not http's: http's would first drop every connection that has no request parsed yet.
    NetServer.prototype.close.call(server);
  };
  if (listening && queueOutlivesProcess) closeListener();
  return new Promise<void>((resolve) => {
    const round = async () => {
      rounds += 1;
      // The kernel is asked only while its answer can change what to do.
      const ask = listening || tracker.hasIdleCandidates();
      const queues = ask && port !== undefined ? await kernelQueues(port) : undefined;
      // Without the kernel's view, one poll interval lets the event loop accept what was queued.
      if (listening && (queues === undefined ? rounds > 1 : queues.waitingToBeAccepted === 0)) closeListener();
      if (ask) tracker.closeIdle(queues);
      if (!listening && tracker.size === 0) {
        resolve();
        return;
      }
      if (now() >= deadline) {
        if (listening) closeListener();
        tracker.closeAll();
        resolve();
        return;
      }
      setTimeout(round, pollMs);
    };
    void round();
  });
}
