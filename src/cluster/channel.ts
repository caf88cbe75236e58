/**
 * Calls between the primary and its workers over the IPC channel node:cluster
 * opens: a call names a handler and its arguments, the other side answers
 * with the handler's value or its error. Generic on purpose: a new thing to
 * ask is one more handler, not a new message type.
 */

/** What a call or an answer looks like on the wire (structured clone: `serialization: 'advanced'`). */
export type ChannelMessage =
  | { readonly iab: 'call'; readonly id: number; readonly name: string; readonly args: readonly unknown[] }
  | { readonly iab: 'tell'; readonly id: 0; readonly name: string; readonly args: readonly unknown[] }
  | { readonly iab: 'answer'; readonly id: number; readonly value?: unknown; readonly error?: string };

export type Handlers = Readonly<Record<string, (...args: never[]) => unknown>>;

/** The other process's end: a worker seen from the primary, or `process` seen from a worker. */
export interface Peer {
  /** Node's `send`: the callback hears a failed send (a closed channel) instead of an 'error' event. */
  send(message: ChannelMessage, callback: (error: Error | null) => void): unknown;
}

/** The peer went away, did not answer in time, or answered with an error: the caller decides what to do without it. */
export class ChannelError extends Error {
  override readonly name = 'ChannelError';

  constructor(
    message: string,
    /** The peer said nothing: gone, or no answer in time (not an error it answered). */
    readonly unanswered = false,
  ) {
    super(message);
  }
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

function isChannelMessage(message: unknown): message is ChannelMessage {
  return typeof message === 'object' && message !== null && 'iab' in message && 'id' in message;
}

export class Channel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly peer: Peer,
    private readonly handlers: Handlers,
  ) {}

  /** Asks the peer; rejects with a ChannelError when it does not answer within `timeoutMs`. */
  call<T>(name: string, args: readonly unknown[], timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ChannelError(`${name}: no answer within ${timeoutMs} ms`, true));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.send({ iab: 'call', id, name, args }, (error) =>
        this.settle(id, { error: `${name}: ${error.message}`, unanswered: true }),
      );
    });
  }

  /** Tells the peer, wanting no answer (a peer that is gone misses it). */
  tell(name: string, args: readonly unknown[]): void {
    this.send({ iab: 'tell', id: 0, name, args }, () => undefined);
  }

  /** Takes a message from the peer; false when it is not this channel's (prom-client's, say). */
  receive(message: unknown): boolean {
    if (!isChannelMessage(message)) return false;
    if (message.iab === 'answer') this.settle(message.id, message);
    else if (message.iab === 'call') void this.answer(message.id, message.name, message.args);
    else void this.run(message.name, message.args).catch(() => undefined);
    return true;
  }

  /** The peer is gone: every call still waiting fails now instead of at its timeout. */
  close(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { error: reason, unanswered: true });
  }

  private async run(name: string, args: readonly unknown[]): Promise<unknown> {
    const handler = Object.hasOwn(this.handlers, name) ? this.handlers[name] : undefined;
    if (handler === undefined) throw new Error(`no handler for ${name}`);
    return handler(...(args as never[]));
  }

  private async answer(id: number, name: string, args: readonly unknown[]): Promise<void> {
    let reply: ChannelMessage;
    try {
      reply = { iab: 'answer', id, value: await this.run(name, args) };
    } catch (error) {
      reply = { iab: 'answer', id, error: error instanceof Error ? error.message : String(error) };
    }
    // A peer that left while we worked has already failed its call on its side.
    this.send(reply, () => undefined);
  }

  private send(message: ChannelMessage, failed: (error: Error) => void): void {
    try {
      this.peer.send(message, (error) => {
        if (error) failed(error);
      });
    } catch (error) {
      // A value structured clone cannot carry (a function) throws here, before anything is sent.
      failed(error as Error);
    }
  }

  private settle(
    id: number,
    outcome: { readonly value?: unknown; readonly error?: string; readonly unanswered?: boolean },
  ): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome.error !== undefined) pending.reject(new ChannelError(outcome.error, outcome.unanswered));
    else pending.resolve(outcome.value);
  }
}
