import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { closedPort } from './replayServer.js';

/** The group name the sentinels monitor. */
export const GROUP = 'mymaster';
const READY_WITHIN_MS = 10_000;

export interface SentinelGroup {
  /** `redis+sentinel://127.0.0.1:<s1>,127.0.0.1:<s2>/mymaster/0` */
  readonly url: string;
  /** The port of whichever server the sentinels name as the primary now. */
  primaryPort(): Promise<number>;
  /** A plain client (no key prefix) to the server on `port`. */
  client(port: number): Redis;
  /** Asks the sentinels to fail over (SENTINEL FAILOVER) and resolves once they name another primary. */
  failover(): Promise<number>;
  /** SIGKILLs the primary and resolves once the sentinels have promoted the replica. */
  killPrimary(): Promise<number>;
  stop(): Promise<void>;
}

/** A sentinel's run id: 40 hex digits, here the port spelled out so that each sentinel's differs. */
function sentinelId(port: number): string {
  return port.toString(16).padStart(40, '0');
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Polls `condition` (a real event: a server's or sentinel's own answer) until it holds, within `ms`. */
async function until(what: string, condition: () => Promise<boolean>, ms = READY_WITHIN_MS): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A primary, a replica and two sentinels (`redis-server --sentinel`, from Debian's redis-server
 * package), each a real process on a free loopback port, nothing saved to disk but the sentinels'
 * own config files in a fresh directory.
 */
export async function startSentinelGroup(): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-sentinel-'));
  const children = new Map<number, ChildProcess>();
  const [primary, replica, sentinelA, sentinelB] = await Promise.all([
    closedPort(),
    closedPort(),
    closedPort(),
    closedPort(),
  ]);
  const server = (port: number, ...more: string[]) => {
    // A primary waits repl-diskless-sync-delay (5 s) for more replicas before it starts a sync: none are coming.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    args.push('--repl-diskless-sync-delay', '0');
    children.set(port, spawn('redis-server', [...args, ...more], { stdio: 'ignore' }));
  };
  // Down-after differs, so one sentinel sees the primary down first and asks for votes: two asking at once
  // split the vote, and the next election waits twice the failover timeout.
  // Each sentinel's config already names the replica and the other sentinel (the lines a sentinel writes
  // itself once it has found them): left to find them, it learns of the replica from the primary's INFO
  // (every 10 s) and of the other sentinel from hello messages (every 2 s).
  const ids = new Map([sentinelA, sentinelB].map((port) => [port, sentinelId(port)]));
  const sentinel = (port: number, downAfterMs: number) => {
    const file = join(dir, `sentinel-${port}.conf`);
    const others = [...ids].filter(([other]) => other !== port);
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel myid ${ids.get(port)}`,
        `sentinel monitor ${GROUP} 127.0.0.1 ${primary} 1`,
        `sentinel down-after-milliseconds ${GROUP} ${downAfterMs}`,
        `sentinel failover-timeout ${GROUP} 3000`,
        `sentinel known-replica ${GROUP} 127.0.0.1 ${replica}`,
        ...others.map(([other, id]) => `sentinel known-sentinel ${GROUP} 127.0.0.1 ${other} ${id}`),
        '',
      ].join('\n'),
    );
    children.set(port, spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore' }));
  };
  const clients: Redis[] = [];
  const client = (port: number) => {
    const made = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: false });
    made.on('error', () => undefined);
    clients.push(made);
    return made;
  };
  server(primary);
  server(replica, '--replicaof', '127.0.0.1', String(primary));
  sentinel(sentinelA, 1000);
  sentinel(sentinelB, 2500);
  const asker = client(sentinelA);
  const primaryPort = async () => {
    const [, port] = (await asker.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', GROUP)) as [string, string];
    return Number(port);
  };
  const knowsReplica = async () => {
    const replicas = (await asker.call('SENTINEL', 'REPLICAS', GROUP)) as string[][];
    return replicas.some((fields) => {
      const flags = fields[fields.indexOf('flags') + 1] ?? '';
      return !flags.includes('down') && !flags.includes('disconnected');
    });
  };
  const knowsOtherSentinel = async () => ((await asker.call('SENTINEL', 'SENTINELS', GROUP)) as unknown[]).length > 0;
  const replicaClient = client(replica);
  await until('the replica in sync', async () => /master_link_status:up/.test(await replicaClient.info('replication')));
  await until(
    'the sentinels know the replica and each other',
    async () => (await knowsReplica()) && (await knowsOtherSentinel()),
  );
  const promoted = async (from: number, withinMs = 20_000) => {
    await until('a new primary', async () => (await primaryPort()) !== from, withinMs);
    const now = await primaryPort();
    const promotedClient = client(now);
    await until('the new primary taking writes', async () =>
      /role:master/.test(await promotedClient.info('replication')),
    );
    return now;
  };
  return {
    url: `redis+sentinel://127.0.0.1:${sentinelA},127.0.0.1:${sentinelB}/${GROUP}/0`,
    primaryPort,
    client,
    async failover() {
      const from = await primaryPort();
      // A sentinel that aborts a failover (on a loaded machine it can find no replica it deems good yet) waits twice
      // the failover timeout before trying again, and a clean clone's CI run saw no new primary within 20 s: asked
      // again after 7 s instead, three times in all.
      for (let attempt = 1; ; attempt++) {
        // On a loaded machine the primary can miss a sentinel's 1 s down-after, and that sentinel has begun a
        // failover of its own already: the one asked for is under way either way.
        // Not asked again once the last one went through: a second failover would move the primary back.
        const moved = attempt > 1 && (await primaryPort()) !== from;
        if (!moved)
          await asker.call('SENTINEL', 'FAILOVER', GROUP).catch((error: Error) => {
            if (!/^(INPROG|NOGOODSLAVE)/.test(error.message)) throw error;
          });
        try {
          return await promoted(from, 7000);
        } catch (error) {
          if (attempt === 3) throw error;
        }
      }
    },
    async killPrimary() {
      const from = await primaryPort();
      const child = children.get(from)!;
      child.kill('SIGKILL');
      await exited(child);
      return promoted(from);
    },
    async stop() {
      for (const made of clients) made.disconnect();
      for (const child of children.values()) child.kill('SIGKILL');
      await Promise.all([...children.values()].map(exited));
    },
  };
}
