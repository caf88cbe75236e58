/**
 * `npx tsx scripts/drain.ts [--rounds N] [--queued N] [--in-flight N] [--pipelined N] [--delay-ms 300]
 * [--storm 20] [--storm-after 500]`:
 * SIGTERM while checks wait, against the built CLI and a slow replayed middleware (300 ms). Prints, per
 * round, how many connections got all their answers and a clean close (and how many were told
 * `Connection: close`; an answer written just before the signal was handled is not), were
 * reset or went unanswered, and the bridge's exit code. Then, per round, SIGTERM in a storm: `--storm`
 * callers each sending check after check on a new connection to a bridge whose middleware answers at
 * once, the signal after `--storm-after` answers; prints answered, refused (before the handshake:
 * expected once the listener is closed) and reset after the handshake. Exits 1 if any check went
 * unanswered or was reset (`--storm 0` skips the storm).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as pause } from 'node:timers/promises';
import { startReplayServer } from '../src/replay/server.js';
import { startServe } from '../test/support/cli.js';
import { connectionStorm } from './hostile/connectionStorm.js';
import { shutdownRound } from './hostile/shutdownRound.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    queued: { type: 'string', default: '200' },
    'in-flight': { type: 'string', default: '50' },
    pipelined: { type: 'string', default: '10' },
    'delay-ms': { type: 'string', default: '300' },
    storm: { type: 'string', default: '20' },
    'storm-after': { type: 'string', default: '500' },
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
const prompt = await startReplayServer([{ request: { path: '/check' }, response: { status: 200 } }], {
  keepReceived: false,
});
const dir = mkdtempSync(join(tmpdir(), 'bridge-drain-'));
const configFor = (name: string, url: string) => {
  const path = join(dir, name);
  writeFileSync(
    path,
    `listen: 127.0.0.1:0\ncache: {enabled: false}\nbackends:\n  mw: {type: http, url: "${url}/check", timeoutMs: 2000}\n`,
  );
  return path;
};
const config = configFor('bridge.yaml', counting.url);
const stormConfig = configFor('storm.yaml', prompt.url);
const stormClients = Number(values.storm);

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
  if (stormClients === 0) continue;
  const storming = await startServe(['--config', stormConfig]);
  const storm = await connectionStorm(Number(new URL(storming.url).port), {
    clients: stormClients,
    onAnswered: { count: Number(values['storm-after']), run: () => storming.child.kill('SIGTERM') },
    until: storming.exited,
  });
  const stormExit = await storming.exited;
  failed ||= storm.resetAfterWrite + storm.resetBeforeWrite + storm.unanswered > 0 || stormExit !== 0;
  console.log(
    `round ${n} storm (${stormClients} callers): ${storm.answered} answered, ${storm.refused} refused before the handshake, ${storm.resetAfterWrite} reset after writing the check, ${storm.resetBeforeWrite} reset before writing, ${storm.unanswered} unanswered, statuses ${JSON.stringify(storm.statuses)}, exit ${stormExit}`,
  );
}
await counting.close();
await prompt.close();
process.exit(failed ? 1 : 0);
