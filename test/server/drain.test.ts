import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { rawExchange } from '../../scripts/hostile/rawExchange.js';
import { ConnectionTracker } from '../../src/server/connections.js';
import { drain } from '../../src/server/drain.js';
import { readKernelQueues, type KernelQueues } from '../../src/server/kernelQueues.js';

async function trackedServer() {
  const server = createServer({ requireHostHeader: false }, (_req, res) => {
    tracker.received(res);
    res.end('ok');
  });
  const tracker = new ConnectionTracker(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, tracker, port: (server.address() as AddressInfo).port };
}

describe('drain', () => {
  it.runIf(process.platform === 'linux')(
    'keeps accepting while the kernel reports connections waiting, and closes the listener once none are',
    async () => {
      const { server, tracker, port } = await trackedServer();
      let waiting = 1;
      const asked: number[] = [];
      // The real kernel's view of unread bytes, with an accept queue that stays "not empty" until the test says so.
      const kernelQueues = async (asking: number): Promise<KernelQueues> => {
        asked.push(asking);
        const real = await readKernelQueues(asking);
        return { waitingToBeAccepted: waiting, unreadByPeerPort: real?.unreadByPeerPort ?? new Map() };
      };
      const drained = drain(server, tracker, { graceMs: 10_000, pollMs: 5, kernelQueues });
      // While the (simulated) accept queue is not empty, a caller that connects is still served.
      const served = await rawExchange(port, { pieces: ['GET / HTTP/1.1\r\n\r\n'], halfClose: true });
      expect(served.statuses).toEqual([200]);
      expect(served.reply).toContain('Connection: close');
      expect(server.listening).toBe(true);
      waiting = 0;
      await drained;
      expect(server.listening).toBe(false);
      expect(asked.every((asking) => asking === port)).toBe(true);
    },
  );

  it('does not close a connection while the kernel holds bytes it sent, unread', async () => {
    const { server, tracker, port } = await trackedServer();
    const quiet = new Map<number, number>();
    let unread = new Map<number, number>();
    const kernelQueues = async (): Promise<KernelQueues> => ({ waitingToBeAccepted: 0, unreadByPeerPort: unread });
    const connected = new Promise<number>((resolve) =>
      server.once('connection', (socket) => resolve(socket.remotePort!)),
    );
    const exchange = rawExchange(port, { pieces: [] });
    const peer = await connected;
    // The kernel says 20 bytes from this caller wait unread: the drain must wait for them.
    unread = new Map([[peer, 20]]);
    const drained = drain(server, tracker, { graceMs: 10_000, pollMs: 5, kernelQueues });
    await expect.poll(() => server.listening).toBe(false);
    expect(tracker.size).toBe(1);
    unread = quiet;
    await drained;
    expect(tracker.size).toBe(0);
    expect((await exchange).reset).toBe(false);
  });

  it('ends at the grace period even when connections never go quiet', async () => {
    const { server, tracker, port } = await trackedServer();
    const connected = new Promise<number>((resolve) =>
      server.once('connection', (socket) => resolve(socket.remotePort!)),
    );
    const exchange = rawExchange(port, { pieces: [] });
    const peer = await connected;
    let now = 0;
    const kernelQueues = async (): Promise<KernelQueues> => {
      now += 100; // each look at the kernel moves the injected clock on
      return { waitingToBeAccepted: 0, unreadByPeerPort: new Map([[peer, 1]]) };
    };
    await drain(server, tracker, { graceMs: 1000, pollMs: 1, kernelQueues, now: () => now });
    expect(now).toBeGreaterThanOrEqual(1000);
    expect(now).toBeLessThan(1300);
    await exchange;
  });
});
