import { connect } from 'node:net';
import { statusesOf } from './rawExchange.js';

/** How each connection of a storm ended. */
export interface StormTally {
  /** Connections that got an answer. */
  readonly answered: number;
  /** Connections the kernel refused before the handshake completed (the listener was closed): expected after a stop. */
  readonly refused: number;
  /** Connections reset (or found gone) after the handshake completed and the check was written: a lost check. */
  readonly resetAfterWrite: number;
  /** Connections reset after the handshake, before the check was written. */
  readonly resetBeforeWrite: number;
  /** Connections closed cleanly with no answer, or that outlived `hangMs`. */
  readonly unanswered: number;
  readonly statuses: Readonly<Record<string, number>>;
}

export interface StormOptions {
  /** Callers, each opening a new connection for every check, with no pause between. */
  readonly clients: number;
  /** Called once `answered` reaches it (e.g. to send the stop signal). */
  readonly onAnswered?: { readonly count: number; readonly run: () => void };
  /** The storm ends when this settles (e.g. the bridge exited); connections already open finish first. */
  readonly until: Promise<unknown>;
  /** A connection with no outcome after this long counts as unanswered. */
  readonly hangMs?: number;
}

const check = (n: number) =>
  `GET /auth?token=storm-${n} HTTP/1.1\r\nHost: bridge\r\nX-Real-IP: 198.51.100.${n % 250}\r\nConnection: close\r\n\r\n`;

type Outcome = 'answered' | 'refused' | 'resetAfterWrite' | 'resetBeforeWrite' | 'unanswered';

/** One check on a fresh connection, as a streaming server that does not keep connections sends it. */
function oneCheck(port: number, n: number, hangMs: number, statuses: Record<string, number>): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let connected = false;
    let written = false;
    let failure: NodeJS.ErrnoException | undefined;
    const timer = setTimeout(() => socket.destroy(), hangMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (failure ??= error));
    socket.once('connect', () => {
      connected = true;
      socket.write(check(n), () => (written = true));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      const got = statusesOf(Buffer.concat(chunks).toString('latin1'));
      for (const status of got) statuses[status] = (statuses[status] ?? 0) + 1;
      if (got.length > 0) resolve('answered');
      else if (!connected) resolve(failure?.code === 'ECONNREFUSED' ? 'refused' : 'unanswered');
      else if (failure !== undefined) resolve(written ? 'resetAfterWrite' : 'resetBeforeWrite');
      else resolve('unanswered');
    });
  });
}

/**
 * `clients` callers, each sending check after check on a new connection,
 * until `until` settles: what a stop must survive while streaming servers
 * keep connecting. Each outcome is told apart, so that a refusal (the
 * listener was closed before the handshake) is not mistaken for a reset of a
 * connection that had already sent its check.
 */
export async function connectionStorm(port: number, options: StormOptions): Promise<StormTally> {
  const { clients, onAnswered, until, hangMs = 15_000 } = options;
  let over = false;
  void until.finally(() => (over = true));
  const counts: Record<Outcome, number> = {
    answered: 0,
    refused: 0,
    resetAfterWrite: 0,
    resetBeforeWrite: 0,
    unanswered: 0,
  };
  const statuses: Record<string, number> = {};
  let sent = 0;
  const client = async () => {
    while (!over) {
      const outcome = await oneCheck(port, sent++, hangMs, statuses);
      counts[outcome] += 1;
      if (outcome === 'answered' && counts.answered === onAnswered?.count) onAnswered.run();
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { ...counts, statuses };
}
