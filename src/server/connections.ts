import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { KernelQueues } from './kernelQueues.js';
import { rawAnswer } from './rawAnswer.js';

/**
 * After a refusal, how long a caller may stay silent before its connection is dropped (it may still be sending the
 * rest).
 */
const LINGER_MS = 2000;

interface Connection {
  readonly socket: Socket;
  /** Answers not finished yet, oldest first: the order in which Node writes them. */
  readonly unanswered: ServerResponse[];
  /** `socket.bytesRead` when its last answer finished: bytes read since then are a request still arriving. */
  settledBytes: number;
  /** The answer to bytes that could not be parsed as a request, written after the answers before it. */
  refusal: string | undefined;
  refused: boolean;
  /** Drain rounds in a row that found it idle (used where the kernel's queues cannot be read). */
  idleRounds: number;
}

/** No answer pending or being refused, and no byte read since the last answer: as far as Node knows, idle. */
function isQuiet(connection: Connection): boolean {
  return (
    !connection.refused && connection.unanswered.length === 0 && connection.socket.bytesRead === connection.settledBytes
  );
}

/**
 * Quiet after at least one request. A connection that has sent nothing yet is
 * not idle: its caller connected to send a check, which may still be on its
 * way (closing then would reset the connection as the check arrives, and the
 * streaming server would let the viewer in). It gets until the drain's end.
 */
function isIdle(connection: Connection): boolean {
  return connection.socket.bytesRead > 0 && isQuiet(connection);
}

/**
 * Every open connection and the requests received on it that are not
 * answered yet. That is what lets a refusal wait behind the pipelined answers
 * before it, and a drain close a connection only once nothing its caller sent
 * is left unanswered.
 */
export class ConnectionTracker {
  readonly #connections = new Map<Socket, Connection>();
  #closing = false;
  /** One listener function for every answer, not a closure per request. */
  readonly #onAnswered: (this: ServerResponse) => void;

  constructor(server: Server) {
    const tracker = this;
    this.#onAnswered = function (this: ServerResponse) {
      tracker.#answered(this);
    };
    server.on('connection', (socket: Socket) => {
      this.#connections.set(socket, {
        socket,
        unanswered: [],
        settledBytes: 0,
        refusal: undefined,
        refused: false,
        idleRounds: 0,
      });
      socket.once('close', () => this.#connections.delete(socket));
    });
  }

  /** True once the listener drains: requests are then answered with `Connection: close` where they are the last. */
  get closing(): boolean {
    return this.#closing;
  }

  get size(): number {
    return this.#connections.size;
  }

  /** Counts a request in, before it is handed to the app. */
  received(res: ServerResponse): void {
    const connection = this.#connections.get(res.req.socket as Socket);
    if (connection === undefined) return;
    connection.unanswered.push(res);
    // `on`, not `once`: an answer closes once, and `once` would wrap the listener anew for every request.
    res.on('close', this.#onAnswered);
    if (this.#closing) this.#closeAfterIfLast(res);
  }

  /**
   * Whether this connection's unparseable bytes already have their answer (Node reports the error again for every later
   * chunk).
   */
  isRefusing(socket: Socket): boolean {
    return this.#connections.get(socket)?.refusal !== undefined;
  }

  /**
   * Answers bytes that could not be parsed, after the answers to the complete
   * requests received before them, then closes. A request whose own body
   * failed (the only one unanswered, incomplete) gets the refusal at once.
   */
  refuse(socket: Socket, answer: string): void {
    const connection = this.#connections.get(socket);
    if (connection === undefined) {
      socket.end(answer);
      return;
    }
    connection.refusal = answer;
    const [first, ...rest] = connection.unanswered;
    if (first === undefined || (rest.length === 0 && !first.req.complete)) {
      this.#writeRefusal(connection);
      return;
    }
    // Answers go out in order, so the newest is the last before the refusal. Written as soon as its
    // bytes are, before Node's own 'finish' listener runs: a caller that half-closed has its
    // connection ended there, and the refusal would never be sent.
    connection.unanswered.at(-1)!.prependOnceListener('finish', () => this.#writeRefusal(connection));
  }

  /** From now on the newest request of each connection is answered with `Connection: close`. */
  startClosing(): void {
    this.#closing = true;
    for (const connection of this.#connections.values())
      for (const res of connection.unanswered) this.#closeAfterIfLast(res);
  }

  /** Whether a connection may have nothing left to answer (then the kernel must say whether bytes wait unread). */
  hasIdleCandidates(): boolean {
    for (const connection of this.#connections.values()) if (isIdle(connection)) return true;
    return false;
  }

  /**
   * Closes the connections on which nothing is left to answer: a request
   * answered, no answer pending, no request arriving, and (where the kernel
   * shows it) nothing received and not read yet. Without the kernel's view, a connection must
   * be found idle twice in a row, a poll interval apart.
   */
  closeIdle(queues: KernelQueues | undefined): void {
    for (const connection of this.#connections.values()) {
      const { socket } = connection;
      const unread = queues?.unreadByPeerPort.get(socket.remotePort ?? -1) ?? 0;
      const idle = isIdle(connection) && unread === 0;
      connection.idleRounds = idle ? connection.idleRounds + 1 : 0;
      if (idle && (queues !== undefined || connection.idleRounds >= 2)) socket.destroy();
    }
  }

  /** The grace period is over: a request head still arriving gets a 408, everything else is dropped. */
  closeAll(): void {
    for (const connection of this.#connections.values()) {
      const { socket } = connection;
      const arriving = !connection.refused && connection.unanswered.length === 0 && !isQuiet(connection);
      if (arriving && socket.writable) {
        socket.end(rawAnswer('408 Request Timeout', 'request not received in time'));
        socket.destroySoon();
      } else socket.destroy();
    }
  }

  #answered(res: ServerResponse): void {
    const connection = this.#connections.get(res.req.socket as Socket);
    if (connection === undefined) return;
    const { unanswered } = connection;
    // The oldest (nearly always the only one) is shifted off: a splice that empties the list drops
    // its room too, and the next request's push would allocate it anew.
    if (unanswered[0] === res) unanswered.shift();
    else {
      const at = unanswered.indexOf(res);
      if (at !== -1) unanswered.splice(at, 1);
    }
    if (unanswered.length > 0) return;
    connection.settledBytes = connection.socket.bytesRead;
  }

  #writeRefusal(connection: Connection): void {
    const { socket, refusal = '' } = connection;
    if (connection.refused) return;
    connection.refused = true;
    socket.end(refusal);
    // Keep reading what the caller still sends (a 2 MB head arrives after its answer is written):
    // closing with unread bytes would reset the connection and lose the answer.
    socket.setTimeout(LINGER_MS, () => socket.destroy());
  }

  /**
   * Decided when the answer's head is written, not when the request came: a
   * request pipelined behind it may have been read in the meantime, and only
   * the last answer may close the connection (the ones after a close are lost).
   */
  #closeAfterIfLast(res: ServerResponse): void {
    if (res.headersSent) return;
    const writeHead = res.writeHead;
    const connection = this.#connections.get(res.req.socket as Socket);
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (connection !== undefined && connection.refusal === undefined && connection.unanswered.at(-1) === this)
        this.shouldKeepAlive = false;
      return Reflect.apply(writeHead, this, args) as ServerResponse;
    } as ServerResponse['writeHead'];
  }
}
