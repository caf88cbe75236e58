import type { Redis } from 'ioredis';
import { redialWhenEnded } from './redisGuard.js';

export interface RedisSubscriber {
  /** Hears every message on `channel` (subscribed now and again after each reconnect). */
  listen(channel: string, handler: (text: string) => void): void;
  /** True while every channel is subscribed: only then does this instance hear what the others announce. */
  listening(): boolean;
  /** Hears when listening stops: messages published from then until it resumes are never heard. */
  onDeaf(listener: () => void): void;
  close(): void;
}

/**
 * The instance's one subscribed connection (a subscribed connection can do nothing else), shared by
 * every channel the store listens on. Whether it is listening is known exactly: from the moment
 * Redis confirms every subscription until the connection closes.
 */
export function openSubscriber(redis: Redis, redialAfterMs: number): RedisSubscriber {
  const subscriber = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, autoResubscribe: false });
  const handlers = new Map<string, (text: string) => void>();
  const deafListeners: (() => void)[] = [];
  let subscribed = false;
  let closed = false;
  redialWhenEnded(subscriber, redialAfterMs, () => closed);

  function subscribeAll(): void {
    if (handlers.size === 0 || closed) return;
    subscriber.subscribe(...handlers.keys()).then(
      () => (subscribed = subscriber.status === 'ready'),
      () => undefined,
    );
  }
  // Its connection errors are the main connection's too, which logs them once.
  subscriber.on('error', () => undefined);
  subscriber.on('ready', subscribeAll);
  subscriber.on('close', () => {
    if (!subscribed) return;
    subscribed = false;
    for (const listener of deafListeners) listener();
  });
  subscriber.on('message', (channel: string, text: string) => handlers.get(channel)?.(text));

  return {
    listen(channel, handler) {
      handlers.set(channel, handler);
      if (subscriber.status === 'ready') subscribeAll();
    },
    listening: () => subscribed,
    onDeaf(listener) {
      deafListeners.push(listener);
    },
    close() {
      closed = true;
      subscribed = false;
      handlers.clear();
      subscriber.disconnect();
    },
  };
}
