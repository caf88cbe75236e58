import type { ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { rawExchange, statusesOf, type RawOutcome } from './rawExchange.js';

export interface ShutdownRound {
  /** Connections whose check was read and is being decided when the signal comes. */
  readonly inFlight: number;
  /** Connections established and written while the bridge is frozen: they wait in the accept queue. */
  readonly queued: number;
  /** Checks pipelined on one kept-alive connection, also sent while the bridge is frozen. */
  readonly pipelined: number;
}

export interface ShutdownTally {
  readonly sent: number;
  /** Connections that got every answer they asked for and then a clean close. */
  readonly answered: number;
  /** Of those, the ones whose last answer said `Connection: close` (an answer written before the signal was handled cannot). */
  readonly toldToClose: number;
  readonly reset: number;
  readonly unanswered: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly exitCode: number | null;
}

const check = (n: number, close: boolean) =>
  `GET /auth?token=drain-${n} HTTP/1.1\r\nHost: bridge\r\nX-Real-IP: 198.51.100.${n % 250}\r\nX-Session-ID: ${n}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

/** Opens a connection, writes `bytes` and resolves once the kernel has them (the bridge may be frozen). */
function sendFrozen(port: number, bytes: string): Promise<{ socket: Socket; outcome: Promise<RawOutcome> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let reset = false;
    const outcome = new Promise<RawOutcome>((done) => {
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on(
        'error',
        (error: NodeJS.ErrnoException) => (reset = reset || error.code === 'ECONNRESET' || error.code === 'EPIPE'),
      );
      socket.on('close', () => {
        const reply = Buffer.concat(chunks).toString('latin1');
        done({ reply, statuses: statusesOf(reply), reset, hung: false, ms: 0 });
      });
    });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(bytes, () => resolve({ socket, outcome })));
  });
}

function lastAnswerCloses(reply: string): boolean {
  const last = reply.lastIndexOf('HTTP/1.1 ');
  const head = reply.slice(last, reply.indexOf('\r\n\r\n', last));
  return /\r\nConnection: close\r\n/i.test(`${head}\r\n`);
}

/**
 * One round of "SIGTERM while checks wait": `inFlight` checks are being
 * decided (the caller waits until the middleware has them), then the bridge
 * is frozen (SIGSTOP), `queued` connections and one pipelined connection send
 * their checks into the kernel, and the bridge gets SIGTERM and SIGCONT.
 * Every one of them must be answered before the bridge exits.
 */
export async function shutdownRound(
  bridge: ChildProcess,
  port: number,
  round: ShutdownRound,
  inFlightReceived: () => Promise<void>,
): Promise<ShutdownTally> {
  const exited = new Promise<number | null>((resolve) => bridge.once('exit', (code) => resolve(code)));
  const outcomes: { expected: number; outcome: Promise<RawOutcome> }[] = [];
  for (let n = 0; n < round.inFlight; n += 1)
    outcomes.push({ expected: 1, outcome: rawExchange(port, { pieces: [check(n, false)] }, { hangMs: 15_000 }) });
  await inFlightReceived();
  bridge.kill('SIGSTOP');
  try {
    const frozen = await Promise.all(
      Array.from({ length: round.queued }, (_, i) => sendFrozen(port, check(round.inFlight + i, false))),
    );
    for (const { outcome } of frozen) outcomes.push({ expected: 1, outcome });
    if (round.pipelined > 0) {
      const base = round.inFlight + round.queued;
      const bytes = Array.from({ length: round.pipelined }, (_, i) => check(base + i, false)).join('');
      outcomes.push({ expected: round.pipelined, outcome: (await sendFrozen(port, bytes)).outcome });
    }
    bridge.kill('SIGTERM');
  } finally {
    bridge.kill('SIGCONT');
  }
  const statuses: Record<string, number> = {};
  let answered = 0;
  let toldToClose = 0;
  let reset = 0;
  let unanswered = 0;
  for (const { expected, outcome } of outcomes) {
    const { reply, statuses: got, reset: wasReset } = await outcome;
    for (const status of got) statuses[status] = (statuses[status] ?? 0) + 1;
    if (wasReset) reset += 1;
    if (wasReset) continue;
    if (got.length < expected) unanswered += 1;
    else {
      answered += 1;
      if (lastAnswerCloses(reply)) toldToClose += 1;
    }
  }
  return { sent: outcomes.length, answered, toldToClose, reset, unanswered, statuses, exitCode: await exited };
}
