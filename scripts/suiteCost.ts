/**
 * `npx tsx scripts/suiteCost.ts [vitest arguments]`: runs the suite (or the files named) and prints where its
 * CPU goes, per test file: the vitest worker while the file's tests ran, and the node processes the file started
 * (how many, by command, and their CPU). The suite is CPU-bound on two cores, so CPU, not a file's wall time
 * (which other files' load stretches), says what a change saves. Set up by test/support/suiteCost.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface FileCost {
  readonly file: string;
  readonly worker: number;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly workerCpuMs: number;
}
interface ChildCost {
  readonly file: string;
  readonly command: string;
  readonly cpuMs: number;
}

function lines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

const seconds = (ms: number) => (ms / 1000).toFixed(1).padStart(6);

/** `serve` for `/…/dist/cli.js serve`, the script's name for anything else. */
function commandName(command: string): string {
  const [script = '', first = ''] = command.split(' ');
  return script.endsWith('dist/cli.js') ? (first.startsWith('-') || first === '' ? 'cli' : first) : script;
}

function report(files: FileCost[], children: ChildCost[]): void {
  const started = new Map<string, ChildCost[]>();
  for (const child of children) started.set(child.file, [...(started.get(child.file) ?? []), child]);
  const rows = files.map((file) => {
    const own = started.get(file.file) ?? [];
    const counts = new Map<string, number>();
    for (const child of own) counts.set(commandName(child.command), (counts.get(commandName(child.command)) ?? 0) + 1);
    const childCpu = own.reduce((sum, child) => sum + child.cpuMs, 0);
    return { ...file, childCpu, spawned: [...counts].map(([name, n]) => `${n} ${name}`).join(', ') };
  });
  rows.sort((a, b) => b.cpuMs + b.childCpu - (a.cpuMs + a.childCpu));
  console.log(' total    tests  children  wall  file  (children started)');
  for (const row of rows)
    console.log(
      `${seconds(row.cpuMs + row.childCpu)} ${seconds(row.cpuMs)} ${seconds(row.childCpu)} ${seconds(row.wallMs)}  ${row.file}${row.spawned ? `  (${row.spawned})` : ''}`,
    );
  // A worker's CPU outside its files' tests: its start, and importing each file and what it loads.
  const workers = new Map<number, FileCost[]>();
  for (const file of files) workers.set(file.worker, [...(workers.get(file.worker) ?? []), file]);
  let imports = 0;
  for (const own of workers.values())
    imports += Math.max(...own.map((file) => file.workerCpuMs)) - own.reduce((sum, file) => sum + file.cpuMs, 0);
  const inTests = files.reduce((sum, file) => sum + file.cpuMs, 0);
  const inChildren = children.reduce((sum, child) => sum + child.cpuMs, 0);
  const serves = children.filter((child) => commandName(child.command) === 'serve');
  console.log(
    `\n${files.length} files in ${workers.size} workers: tests ${seconds(inTests)} s CPU, the workers' imports and starts ${seconds(imports)} s; ` +
      `${children.length} node processes ${seconds(inChildren)} s, of them ${serves.length} serve ${seconds(serves.reduce((sum, child) => sum + child.cpuMs, 0))} s ` +
      '(not counted: processes killed with SIGKILL, non-node programs, the vitest main process)',
  );
}

const dir = mkdtempSync(join(tmpdir(), 'suite-cost-'));
try {
  const run = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SUITE_COST_DIR: dir },
  });
  report(lines<FileCost>(join(dir, 'files.jsonl')), lines<ChildCost>(join(dir, 'children.jsonl')));
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
