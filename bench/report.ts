/** One measured row, the targets a run is judged by, and the tables that print them. */
import { type Cores, describeCores } from './cores.js';
import { generateLoad, type LoadSpec } from './loadgen.js';
import { cpuSeconds, type Running } from './processes.js';
import { FIRST_WARM_UP_SECONDS, SECONDS } from './settings.js';

export interface Row {
  readonly name: string;
  readonly cores: string;
  readonly connections: number;
  readonly rps: number;
  /** Connections / throughput (Little's law on a closed loop): finer than autocannon's whole-millisecond percentiles. */
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  /** CPU time the server (with its child processes) spent per request, in µs, where /proc tells. */
  readonly cpuMicros: number | undefined;
}

/** Servers already warmed up: V8 optimizes a server's code only after many requests, which a busy machine sends slowly. */
const warmed = new WeakSet<Running>();

/**
 * A warm-up (longer the first time a server is measured; `warmUpSeconds`
 * 0 for none), then `SECONDS` of load, with the server's CPU time read around it.
 */
export async function measure(
  name: string,
  server: Running,
  spec: Omit<LoadSpec, 'url' | 'seconds'>,
  cores: Cores,
  warmUpSeconds = warmed.has(server) ? 1 : FIRST_WARM_UP_SECONDS,
): Promise<Row> {
  if (warmUpSeconds > 0) await generateLoad({ ...spec, url: server.url, seconds: warmUpSeconds });
  warmed.add(server);
  const before = cpuSeconds(server.pid);
  const result = await generateLoad({ ...spec, url: server.url, seconds: SECONDS });
  const after = cpuSeconds(server.pid);
  const row: Row = {
    name,
    cores: describeCores(cores),
    connections: spec.connections,
    rps: result.rps,
    mean: (1000 * spec.connections) / result.rps,
    p50: result.p50,
    p99: result.p99,
    errors: result.errors,
    cpuMicros: before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / result.total,
  };
  process.stdout.write(`  ${name} [${spec.connections} conn]: ${Math.round(row.rps)} req/s\n`);
  return row;
}

export interface Target {
  readonly figure: string;
  readonly measured: string;
  readonly target: string;
  /** Undefined: not measured in this run (a feature this build lacks). */
  readonly met: boolean | undefined;
}

export interface Section {
  readonly lines: readonly string[];
  readonly targets: readonly Target[];
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [format(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(format)].join('\n');
}

export function rowTable(rows: readonly Row[]): string {
  return table(
    ['scenario', 'server cores', 'conn', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'errors/non-2xx', 'server CPU µs/req'],
    rows.map((r) => [
      r.name,
      r.cores,
      String(r.connections),
      String(Math.round(r.rps)),
      r.mean.toFixed(3),
      String(r.p50),
      String(r.p99),
      String(r.errors),
      r.cpuMicros?.toFixed(1) ?? '-',
    ]),
  );
}

export function targetTable(targets: readonly Target[]): string {
  return table(
    ['figure', 'measured', 'target', 'result'],
    targets.map((t) => [t.figure, t.measured, t.target, t.met === undefined ? 'n/a' : t.met ? 'met' : 'MISSED']),
  );
}

/**
 * The best of a side's interleaved rounds: a shared machine's other load only
 * ever adds time, so the most throughput and the least CPU per request of the
 * rounds are the nearest to what the code itself costs. Both sides of a ratio
 * are taken alike.
 */
export const bestRps = (rows: readonly Row[]): number => Math.max(...rows.map((r) => r.rps));

export function bestCpu(rows: readonly Row[]): number | undefined {
  const values = rows.map((r) => r.cpuMicros);
  return values.some((v) => v === undefined) ? undefined : Math.min(...(values as number[]));
}

export const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a / b;

export const difference = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a - b;

export const fixed = (value: number | undefined, digits: number): string =>
  value === undefined ? '-' : value.toFixed(digits);
