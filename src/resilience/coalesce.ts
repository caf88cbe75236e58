/**
 * Identical concurrent work done once: while a task for a key is running,
 * later callers for the same key wait for its result instead of starting
 * their own (1,000 viewers zapping to one channel make one middleware call).
 */
export function coalescer<T>(): (key: string, task: () => Promise<T>) => Promise<T> {
  const running = new Map<string, Promise<T>>();
  return (key, task) => {
    const pending = running.get(key);
    if (pending) return pending;
    // then() rather than finally(): finally costs two more promises and hops on every miss.
    const started = task().then(
      (result) => {
        running.delete(key);
        return result;
      },
      (error: unknown) => {
        running.delete(key);
        throw error;
      },
    );
    running.set(key, started);
    return started;
  };
}
