/**
 * The bridge's own event-loop delay during a row, beside the latency the
 * load generator saw: a p99 the bridge's loop does not show came from
 * elsewhere (the load generator's own pauses, the other processes on its
 * core). A probe loaded into the bridge with `--import` samples the loop
 * every millisecond (`monitorEventLoopDelay`) and answers over IPC with what
 * it saw since its last answer.
 */
import type { Bridge, BridgeOptions } from './processes.js';
import { median } from './rounds.js';

const PROBE = `import { monitorEventLoopDelay } from 'node:perf_hooks';
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
process.on('message', (message) => {
  if (message !== 'loop delay?') return;
  process.send({ p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 });
  delay.reset();
});`;

/** The options that load the probe into a bridge `startBridge` starts. */
export const LOOP_DELAY_PROBE: BridgeOptions = {
  nodeFlags: ['--import', `data:text/javascript,${encodeURIComponent(PROBE)}`],
  ipc: true,
};

/** Milliseconds. */
export interface LoopDelay {
  readonly p99: number;
  readonly max: number;
}

/** What the probe saw since it was last asked (or since the bridge started), and a fresh start for the next row. */
export function loopDelay(bridge: Bridge): Promise<LoopDelay> {
  return new Promise((resolve) => {
    bridge.process.once('message', (delay) => resolve(delay as LoopDelay));
    bridge.process.send('loop delay?');
  });
}

/** The medians over the rows, for a line of the report. */
export function describeLoopDelay(delays: readonly LoopDelay[]): string {
  return `p99 ${median(delays.map((d) => d.p99)).toFixed(1)} ms, max ${median(delays.map((d) => d.max)).toFixed(1)} ms`;
}
