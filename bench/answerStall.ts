/**
 * `npx tsx bench/answerStall.ts`: how long one hostile middleware answer holds
 * the event loop, with undici as the bridge used it before (a bare Agent), the
 * same Agent with heads scanned before parsing, and the bridge's whole
 * MiddlewareClient, side by side in one run. A raw-TCP middleware (its own process) answers 48 checks at
 * once with heads of thousands of lines; meanwhile this process's CPU time per
 * answer (robust on a shared machine), the event-loop delay, and one unrelated
 * check to a well-behaved middleware (what a viewer waits) are measured.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { answerScanningConnector } from '../src/adapters/boundedSocket.js';
import { MiddlewareClient } from '../src/adapters/transport.js';
import { startPlainServer, stopper, waitForPort, type Running } from './processes.js';

const AT_ONCE = 48;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const ANSWERS: Readonly<Record<string, string>> = {
  'a usual 10-line answer (the floor)': head(Array.from({ length: 8 }, (_, i) => `X-H${i}: value`)),
  '3000 distinct header lines (25 KiB)': head(Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`)),
  '3000 same-name lines (17 KiB)': head(Array.from({ length: 3000 }, () => 'X-A: v')),
  '16000 one-byte lines (62 KiB)': head(Array.from({ length: 16_000 }, () => 'a:')),
};

function head(lines: readonly string[]): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: 0\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A raw-TCP middleware in its own process, so only the client's side of the work is on this event loop. */
async function startHostileMiddleware(answer: string): Promise<Running> {
  const source = `const answer = ${JSON.stringify(answer)};
    require('node:net').createServer((socket) => { socket.on('data', () => socket.write(answer)); socket.on('error', () => {}); })
      .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { url: await waitForPort(child, 'hostile middleware'), pid: child.pid!, stop: stopper(child) };
}

interface Sender {
  readonly name: string;
  send(origin: string): Promise<unknown>;
  close(): Promise<void>;
}

function bareAgent(name: string, options: Agent.Options = {}): Sender {
  const agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 1024, ...options });
  return {
    name,
    send: async (origin) => (await agent.request({ origin, path: '/check', method: 'GET' })).body.dump(),
    close: () => agent.close(),
  };
}

function bridgeClient(): Sender {
  const client = new MiddlewareClient();
  return {
    name: 'MiddlewareClient, heads scanned',
    send: (origin) => client.send({ origin, path: '/check', headers: {} }, 5000, new AbortController().signal),
    close: () => client.close(),
  };
}

interface Round {
  /** CPU this process spent per hostile answer: what the event loop was held for, whatever else ran on the machine. */
  readonly cpuMicrosPerAnswer: number;
  readonly maxDelayMs: number;
  readonly unrelatedMs: number;
  readonly burstMs: number;
}

async function round(sender: Sender, hostile: string, healthy: string): Promise<Round> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const burst = Promise.allSettled(Array.from({ length: AT_ONCE }, () => sender.send(hostile)));
  const unrelated = sender.send(healthy).then(() => performance.now() - started);
  const [unrelatedMs] = await Promise.all([unrelated, burst]);
  const burstMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  delay.disable();
  return {
    cpuMicrosPerAnswer: (used.user + used.system) / (AT_ONCE + 1),
    maxDelayMs: delay.max / 1e6,
    unrelatedMs,
    burstMs,
  };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const healthy = await startPlainServer();
  console.log(
    `${AT_ONCE} hostile answers at once, one unrelated check beside them; medians of ${ROUNDS} rounds, interleaved\n`,
  );
  console.log(
    ['answer', 'client', 'CPU µs per answer', 'max loop delay ms', 'unrelated check ms', 'whole burst ms'].join(' | '),
  );
  for (const [label, bytes] of Object.entries(ANSWERS)) {
    const hostile = await startHostileMiddleware(bytes);
    const senders = [
      bareAgent('undici Agent, as before'),
      bareAgent('undici Agent + head scanning', { connect: answerScanningConnector() }),
      bridgeClient(),
    ];
    const rounds = new Map<string, Round[]>(senders.map((sender) => [sender.name, []]));
    for (let i = 0; i < ROUNDS; i++) {
      for (const sender of senders) rounds.get(sender.name)!.push(await round(sender, hostile.url, healthy.url));
    }
    for (const sender of senders) {
      const all = rounds.get(sender.name)!;
      const cells = [
        median(all.map((r) => r.maxDelayMs)),
        median(all.map((r) => r.unrelatedMs)),
        median(all.map((r) => r.burstMs)),
      ];
      console.log(
        [
          label,
          sender.name,
          median(all.map((r) => r.cpuMicrosPerAnswer)).toFixed(0),
          ...cells.map((ms) => ms.toFixed(1)),
        ].join(' | '),
      );
      await sender.close();
    }
    await hostile.stop();
  }
  await healthy.stop();
}

await main();
