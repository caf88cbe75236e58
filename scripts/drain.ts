/**
 * `npx tsx scripts/drain.ts [--rounds N] [--queued N] [--in-flight N] [--pipelined N] [--delay-ms 300]`:
 * SIGTERM while checks wait, against the built CLI and a slow replayed middleware (300 ms). Prints, per
 * round, how many connections got all their answers and a clean close (and how many were told
 * `Connection: close`; an answer written just before the signal was handled is not), were
 * reset or went unanswered, and the bridge's exit code. Exits 1 if any check went unanswered.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as pause } from 'node:timers/promises';
import { startReplayServer } from '../src/replay/server.js';
import { startServe } from '../test/support/cli.js';
import { shutdownRound } from './hostile/shutdownRound.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    queued: { type: 'string', default: '200' },
    'in-flight': { type: 'string', default: '50' },
    pipelined: { type: 'string', default: '10' },
    'delay-ms': { type: 'string', default: '300' },
  },
});
const round = {
  inFlight: Number(values['in-flight']),
  queued: Number(values.queued),
  pipelined: Number(values.pipelined),
};

let received = 0;
const counting = await startReplayServer(
  [
    {
      request: { path: '/check' },
      response: { status: 200, delayMs: Number(values['delay-ms']), headers: { 'X-Session-Name': 'viewer' } },
    },
  ],
  {
    keepReceived: false,
    onRequest: () => (received += 1),
  },
);
const config = join(mkdtempSync(join(tmpdir(), 'bridge-drain-')), 'bridge.yaml');
writeFileSync(
  config,
  `listen: 127.0.0.1:0\ncache: {enabled: false}\nbackends:\n  mw: {type: http, url: "${counting.url}/check", timeoutMs: 2000}\n`,
);

let failed = false;
for (let n = 1; n <= Number(values.rounds); n += 1) {
  const bridge = await startServe(['--config', config]);
  const start = received;
  const tally = await shutdownRound(bridge.child, Number(new URL(bridge.url).port), round, async () => {
    while (received - start < round.inFlight) await pause(5);
  });
  failed ||= tally.answered !== tally.sent || tally.exitCode !== 0;
  console.log(
    `round ${n}: ${tally.answered}/${tally.sent} connections answered (${tally.toldToClose} told Connection: close), ${tally.reset} reset, ${tally.unanswered} unanswered, statuses ${JSON.stringify(tally.statuses)}, exit ${tally.exitCode}`,
  );
}
await counting.close();
process.exit(failed ? 1 : 0);
