import { ModuleThread, serveInThread } from '../../../src/threads/moduleThread.js';

/*
 * A thread for test/threads/moduleThread.test.ts: it answers `answerAfter` once its `ms` have passed (a
 * request still in flight when the thread is closed), `fail` with an error, `parts` with two parts first,
 * and records in a SharedArrayBuffer (the data it was started with) that its `stop` ran.
 */

const THREAD = 'test-gate';

export type GateRequest =
  | { readonly op: 'answerAfter'; readonly ms: number }
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
      // A timer, not Atomics.wait: the thread must stay free to take `stop` while this request is open.
      await new Promise((resolve) => setTimeout(resolve, request.ms));
      return `answered after ${request.ms} ms`;
    },
    stop: () => {
      Atomics.store(flags, 0, 1);
    },
  };
});

export function gateThread(flags: SharedArrayBuffer): ModuleThread<GateRequest, string, number> {
  return new ModuleThread(THREAD, import.meta.url, flags);
}
