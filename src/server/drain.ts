import type { Server } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import { setTimeout as pause } from 'node:timers/promises';
import type { ConnectionTracker } from './connections.js';
import {
  readAcceptQueue,
  readKernelQueues,
  type AcceptQueueReader,
  type KernelQueues,
  type KernelQueuesReader,
} from './kernelQueues.js';

export interface DrainOptions {
  /**
   * How long a check may still take once the listener is closed (the routes' longest budget and a
   * margin); whatever is still open then is closed. Counted again from the close when the listener
   * stayed open longer (a flood kept its queue full), so a check accepted late gets its budget too.
   */
  readonly graceMs: number;
  /** How long between two looks at the kernel's queues and the connections. */
  readonly pollMs?: number;
  readonly acceptQueue?: AcceptQueueReader;
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
 * kernel shows its accept queue empty, and closes in that same tick. Node's
 * own `server.close()` would also drop every connection with no request
 * parsed yet, including those whose check is still unread in the kernel or
 * on its way: here a connection is closed only once it has had a request
 * and has nothing unanswered, nothing arriving and nothing unread. Answers
 * given meanwhile carry `Connection: close`.
 */
export function drain(server: Server, tracker: ConnectionTracker, options: DrainOptions): Promise<void> {
  const {
    graceMs,
    pollMs = 20,
    acceptQueue = readAcceptQueue,
    kernelQueues = readKernelQueues,
    queueOutlivesProcess = false,
    now = Date.now,
  } = options;
  tracker.startClosing();
  const port = (server.address() as AddressInfo | null)?.port;
  let deadline = now() + graceMs;
  let listening = server.listening;
  let rounds = 0;
  let reading = false;
  const closeListener = () => {
    listening = false;
    // What was accepted until now has its whole budget to be answered (at most twice the grace in all).
    deadline = Math.max(deadline, now() + graceMs);
    // net's close, not http's: http's would first drop every connection that has no request parsed yet.
    NetServer.prototype.close.call(server);
  };
  if (listening && queueOutlivesProcess) closeListener();
  // On a loaded host the whole table takes seconds to come in: it may delay closing idle connections, never the end.
  const closeIdle = async () => {
    reading = true;
    const giveUp = new AbortController();
    const late = pause(Math.max(0, deadline - now()), 'late' as const, { signal: giveUp.signal }).catch(
      () => 'late' as const,
    );
    const queues: KernelQueues | undefined | 'late' =
      port === undefined ? undefined : await Promise.race([kernelQueues(port), late]);
    giveUp.abort();
    reading = false;
    if (queues !== 'late') tracker.closeIdle(queues);
  };
  return new Promise<void>((resolve) => {
    const round = () => {
      rounds += 1;
      if (listening) {
        // Read and closed in one tick: a handshake completed in between would be reset by the close.
        const waiting = port === undefined ? undefined : acceptQueue(port);
        // Without the kernel's view, one poll interval lets the event loop accept what was queued.
        if (waiting === undefined ? rounds > 1 : waiting === 0) closeListener();
      }
      if (!reading && tracker.hasIdleCandidates()) void closeIdle();
      if (!listening && tracker.size === 0) {
        resolve();
        return;
      }
      if (listening && now() >= deadline) closeListener();
      if (now() >= deadline) {
        tracker.closeAll();
        resolve();
        return;
      }
      setTimeout(round, pollMs);
    };
    round();
  });
}
