// Preloaded (NODE_OPTIONS=--require) into every process of a `serve --workers` group: the first worker to start
// writes its pid to SLOW_START_MARKER and holds still for a few seconds before any of the bridge's code runs, so a
// test can send it a signal in that window, as one sent to the whole group reaches a worker still loading.
const { writeFileSync } = require('node:fs');

// The primary loads this first and marks the environment its workers inherit (cluster's own marker is gone by now).
const isWorker = process.env.SLOW_START_IN_WORKER === '1';
process.env.SLOW_START_IN_WORKER = '1';
let first = false;
if (isWorker && process.env.SLOW_START_MARKER !== undefined) {
  try {
    // `wx`: of the workers starting at once, one alone creates it.
    writeFileSync(process.env.SLOW_START_MARKER, String(process.pid), { flag: 'wx' });
    first = true;
  } catch {}
}
if (first) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
