import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

export interface RefusedConnections {
  /** Resolves once `count` connections to the port have been refused in all: the real event, never a sleep. */
  atLeast(count: number): Promise<void>;
  stop(): void;
}

/**
 * Counts the connections this process makes to `port` that are refused (seen on node's `net.client.socket`
 * diagnostics channel), so a test can wait for a client's reconnect attempts as they happen.
 */
export function watchRefusedConnections(port: number): RefusedConnections {
  let refused = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const onSocket = (message: unknown) => {
    (message as { socket: Socket }).socket.once('error', (error: NodeJS.ErrnoException & { port?: number }) => {
      if (error.code !== 'ECONNREFUSED' || error.port !== port) return;
      refused++;
      for (const waiter of waiters.splice(0)) {
        if (refused >= waiter.count) waiter.resolve();
        else waiters.push(waiter);
      }
    });
  };
  subscribe('net.client.socket', onSocket);
  return {
    atLeast(count) {
      if (refused >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    stop: () => unsubscribe('net.client.socket', onSocket),
  };
}
