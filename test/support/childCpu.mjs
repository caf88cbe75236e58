// Preloaded (NODE_OPTIONS --import) into every node process a test starts while scripts/suiteCost.ts runs the
// suite: on exit it notes the process's CPU time beside the test file that started it. A process killed with
// SIGKILL runs no exit handler and goes uncounted.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.SUITE_COST_DIR;
if (dir !== undefined) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    const line = {
      file: process.env.SUITE_COST_FILE ?? '(unknown)',
      command: process.argv.slice(1, 3).join(' '),
      cpuMs: Math.round((user + system) / 1000),
    };
    appendFileSync(join(dir, 'children.jsonl'), `${JSON.stringify(line)}\n`);
  });
}
