import { createServer, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { rawExchange } from '../../scripts/hostile/rawExchange.js';
import { ConnectionTracker } from '../../src/server/connections.js';
import { drain } from '../../src/server/drain.js';
import type { KernelQueues } from '../../src/server/kernelQueues.js';

/** A connection that has had one request answered and is kept alive. */
async function keptAlive(port: number) {
  const socket = connect(port, '127.0.0.1');
  let reset = false;
  socket.on('error', () => (reset = true));
  const closed = once(socket, 'close');
  socket.write('GET / HTTP/1.1\r\n\r\n');
  await once(socket, 'data');
  return { localPort: socket.localPort, closed, reset: () => reset };
}

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
      // An accept queue that stays "not empty" until the test says so; the real kernel's view of unread bytes.
      const acceptQueue = (asking: number) => {
        asked.push(asking);
        return waiting;
      };
      const drained = drain(server, tracker, { graceMs: 10_000, pollMs: 5, acceptQueue });
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

  it('does not close a kept-alive connection while the kernel holds bytes it sent, unread', async () => {
    const { server, tracker, port } = await trackedServer();
    const quiet = new Map<number, number>();
    let unread = new Map<number, number>();
    const kernelQueues = async (): Promise<KernelQueues> => ({ unreadByPeerPort: unread });
    const caller = await keptAlive(port);
    // The kernel says 20 bytes from this caller wait unread: the drain must wait for them.
    unread = new Map([[caller.localPort!, 20]]);
    const drained = drain(server, tracker, { graceMs: 10_000, pollMs: 5, acceptQueue: () => 0, kernelQueues });
    await expect.poll(() => server.listening).toBe(false);
    expect(tracker.size).toBe(1);
    unread = quiet;
    await drained;
    expect(tracker.size).toBe(0);
    await caller.closed;
    expect(caller.reset()).toBe(false);
  });

  it('gives a connection that has sent nothing yet until its first request, and answers it', async () => {
    const { server, tracker, port } = await trackedServer();
    const accepted = new Promise<void>((resolve) => server.once('connection', () => resolve()));
    const caller = connect(port, '127.0.0.1');
    const reply: Buffer[] = [];
    caller.on('data', (chunk: Buffer) => reply.push(chunk));
    let reset = false;
    caller.on('error', () => (reset = true));
    await accepted;
    let rounds = 0;
    const drained = drain(server, tracker, {
      graceMs: 10_000,
      pollMs: 1,
      acceptQueue: () => 0,
      kernelQueues: async () => ({ unreadByPeerPort: new Map() }),
      now: () => (rounds += 1),
    });
    // Rounds go by with the listener closed and the kernel showing nothing unread: still open.
    await expect.poll(() => rounds, { interval: 5 }).toBeGreaterThan(20);
    expect(server.listening).toBe(false);
    expect(tracker.size).toBe(1);
    caller.write('GET / HTTP/1.1\r\n\r\n');
    await once(caller, 'close');
    await drained;
    const text = Buffer.concat(reply).toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toContain('Connection: close');
    expect(reset).toBe(false);
  });

  it('ends at the grace period even when connections never go quiet or never send', async () => {
    const { server, tracker, port } = await trackedServer();
    const caller = await keptAlive(port);
    const silent = rawExchange(port, { pieces: [] });
    await expect.poll(() => tracker.size).toBe(2);
    let now = 0;
    const kernelQueues = async (): Promise<KernelQueues> => ({ unreadByPeerPort: new Map([[caller.localPort!, 1]]) });
    // Each round moves the injected clock on.
    await drain(server, tracker, {
      graceMs: 1000,
      pollMs: 1,
      acceptQueue: () => 0,
      kernelQueues,
      now: () => (now += 50),
    });
    expect(now).toBeGreaterThanOrEqual(1000);
    expect(now).toBeLessThan(1300);
    await caller.closed;
    expect((await silent).hung).toBe(false);
  });

  it('gives a check accepted while a flood kept the listener open the whole grace from the close', async () => {
    const held: ServerResponse[] = [];
    const server = createServer({ requireHostHeader: false }, (_req, res) => {
      tracker.received(res);
      held.push(res);
    });
    const tracker = new ConnectionTracker(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const pending = rawExchange(port, { pieces: ['GET / HTTP/1.1\r\n\r\n'] });
    await expect.poll(() => held.length).toBe(1);
    let now = 0;
    let closedAt: number | undefined;
    // The accept queue shows callers waiting until 800 ms in; the check in flight is never answered.
    await drain(server, tracker, {
      graceMs: 1000,
      pollMs: 1,
      acceptQueue: () => {
        if (now < 800) return 1;
        closedAt ??= now;
        return 0;
      },
      kernelQueues: async () => ({ unreadByPeerPort: new Map() }),
      now: () => (now += 10),
    });
    expect(closedAt).toBeGreaterThanOrEqual(800);
    expect(now).toBeGreaterThanOrEqual(closedAt! + 1000);
    expect(now).toBeLessThan(closedAt! + 1300);
    expect((await pending).hung).toBe(false);
  });

  it('ends at the grace period while the kernel takes longer than that to show its queues', async () => {
    const { server, tracker, port } = await trackedServer();
    const caller = await keptAlive(port);
    const started = performance.now();
    await drain(server, tracker, {
      graceMs: 200,
      pollMs: 5,
      acceptQueue: () => 0,
      kernelQueues: () => new Promise<never>(() => {}),
    });
    expect(performance.now() - started).toBeLessThan(2000);
    await caller.closed;
    await expect.poll(() => tracker.size).toBe(0);
  });
});
