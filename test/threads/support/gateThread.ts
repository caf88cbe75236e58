import { ModuleThread, serveInThread } from '../../../src/threads/moduleThread.js';

/*
 * A thread for test/threads/moduleThread.test.ts: it answers `wait` once released, `fail` with an error,
 * and records in a SharedArrayBuffer (the data it was started with) that its `stop` ran.
 */

const THREAD = 'test-gate';

export type GateRequest =
  | { readonly op: 'wait'; readonly ms: number }
  | { readonly op: 'fail' }
  | { readonly op: 'parts' };

serveInThread<GateRequest, string, number>(THREAD, (data) => {
  const flags = new Int32Array(data as SharedArrayBuffer);
  if (flags[1] === 1) throw new Error('cannot start: told not to');
  return {
    handle: async (request, part) => {
      if (request.op === 'fail') throw new Error('failed as asked');
      if (request.op === 'parts') {
        part(1);
        part(2);
        return 'parts sent';
      }
      // Answers once the main thread let it go (Atomics.wait would block the thread; a timer does not).
      await new Promise((resolve) => setTimeout(resolve, request.ms));
      return `waited ${request.ms}`;
    },
    stop: () => {
      Atomics.store(flags, 0, 1);
    },
  };
});

export function gateThread(flags: SharedArrayBuffer): ModuleThread<GateRequest, string, number> {
  return new ModuleThread(THREAD, import.meta.url, flags);
}
