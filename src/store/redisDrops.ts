import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { type Answer, FAILED } from './redisGuard.js';
import type { RedisSubscriber } from './redisSubscriber.js';
import type { DropEvent } from './types.js';

/** The pub/sub channel drops are announced on (not a key: ioredis does not prefix it). */
export const DROP_CHANNEL = 'iab:drops';

function isDropEvent(value: unknown): value is DropEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  const strings = (list: unknown) => Array.isArray(list) && list.every((item) => typeof item === 'string');
  if (event.kind === 'prefix') return typeof event.prefix === 'string';
  return event.kind === 'keys' && strings(event.keys) && strings(event.sessionsOf);
}

/** On the wire: the event and which instance sent it, so an instance does not hear its own drops twice. */
interface DropMessage {
  readonly from: string;
  readonly event: DropEvent;
}

export interface DropChannel {
  /** Tells this instance's listeners, then every other instance's; false when Redis did not take the message. */
  publish(event: DropEvent): Promise<boolean>;
  onDrop(listener: (event: DropEvent) => void): () => void;
  close(): void;
}

/**
 * Revoke and flush reach every instance sharing the Redis server: each listens on one channel (on
 * the store's subscribed connection) and forgets its in-process copies of what was dropped. A
 * message that is not a drop event (someone else publishing on the channel) is ignored.
 */
export function openDropChannel(
  redis: Redis,
  subscriber: RedisSubscriber,
  log: Logger,
  /** The store's guard: the publish bounded as every other Redis call. */
  attempt: <T>(operation: () => Promise<T>, kind: 'read') => Promise<Answer<T>>,
): DropChannel {
  const self = randomUUID();
  const listeners = new Set<(event: DropEvent) => void>();
  subscriber.listen(DROP_CHANNEL, (text) => {
    let message: Partial<DropMessage>;
    try {
      message = JSON.parse(text) as Partial<DropMessage>;
    } catch {
      return;
    }
    if (message?.from !== self && isDropEvent(message?.event)) tell(message.event);
  });
  function tell(event: DropEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error('drop listener failed', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  return {
    publish(event) {
      tell(event);
      const message: DropMessage = { from: self, event };
      // Not a 'write' to the guard: Redis takes a PUBLISH at its memory limit and on a replica, so one
      // answered says nothing of whether writes are taken again.
      return attempt(() => redis.publish(DROP_CHANNEL, JSON.stringify(message)), 'read').then(
        (answer) => answer !== FAILED,
      );
    },
    onDrop(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      listeners.clear();
    },
  };
}
