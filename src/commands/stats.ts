import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { repeatedOption } from './repeatedOption.js';
import { readConfigDocument, validateConfig } from '../config/load.js';
import { maskUrl } from '../secrets.js';
import { openStatsDatabase } from '../stats/open.js';
import { STATS_GROUPINGS, type StatsGrouping, type StatsRow } from '../stats/types.js';
import { createStatsView } from '../stats/view.js';
import { POINT_IN_TIME_FORMS, pointInTime as readPointInTime } from '../config/isoTime.js';

/** Sections of the config the command reads; the rest left out of validation. */
const READ_SECTIONS = ['stats', 'sessions'];

/**
 * The config's statistics settings. Only the sections this command reads are validated: a `${VAR}` of a
 * backend's secret, unset in the operator's shell, is no reason to refuse to read statistics.
 */
function statsSettings(file: string) {
  const document = readConfigDocument(file);
  const read =
    document !== null && typeof document === 'object' && !Array.isArray(document)
      ? Object.fromEntries(Object.entries(document).filter(([key]) => READ_SECTIONS.includes(key)))
      : document;
  return validateConfig(read, file);
}

const STATS_USAGE = `usage: iptv-auth-bridge stats [--config FILE] [--since 24h] [--until T] \
[--by channel|user|day|route] [--format table|csv|json]

Viewing statistics from the bridge's statistics store (stats: in the config):
viewers, sessions, watch time and peak concurrent sessions per group.

  -c, --config F the config file whose stats: store is read (default:
                ./bridge.yaml if present, else the shipped example)
  --since T     start of the period: a duration back from now (90m, 24h, 7d), a
                date (2026-01-31, UTC) or a date-time with Z or an offset
                (2026-01-31T18:00:00Z, 2026-01-31T21:00+03:00); default 24h
  --until T     end of the period, in the same forms; default now
  --by G        channel (default), user, day (UTC) or route
  --format F    table (default), csv or json
`;

const FORMATS = ['table', 'csv', 'json'] as const;

class StatsUsageError extends Error {}

/** `24h` (back from now) or an ISO 8601 date, or date-time with a zone, as milliseconds since the epoch. */
function pointInTime(text: string, option: string, now: number): number {
  const ms = readPointInTime(text, now);
  if (ms === undefined) throw new StatsUsageError(`${option}: expected ${POINT_IN_TIME_FORMS} (got "${text}")`);
  return ms;
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** A CSV field, quoted when it must be; a leading = + - @ is defused so a spreadsheet does not run it. */
function csvField(value: string | number): string {
  const text = typeof value === 'number' ? String(value) : /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function render(
  rows: readonly StatsRow[],
  grouping: StatsGrouping,
  format: (typeof FORMATS)[number],
  window: { since: number; until: number },
): string {
  const [since, until] = [new Date(window.since).toISOString(), new Date(window.until).toISOString()];
  if (format === 'json') return `${JSON.stringify({ since, until, by: grouping, rows }, null, 2)}\n`;
  if (format === 'csv') {
    const lines = [
      [grouping, 'viewers', 'sessions', 'watch_seconds', 'peak_concurrent'],
      ...rows.map((r) => [r.key, r.viewers, r.sessions, r.watchSeconds, r.peakConcurrent]),
    ];
    return `${lines.map((line) => line.map(csvField).join(',')).join('\n')}\n`;
  }
  const head = [grouping, 'viewers', 'sessions', 'watch time', 'peak'];
  const cells = rows.map((r) => [
    r.key,
    String(r.viewers),
    String(r.sessions),
    duration(r.watchSeconds),
    String(r.peakConcurrent),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) =>
    c
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const table = [
    `# ${since} .. ${until}`,
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
    rows.length === 0 ? '(no viewing sessions in this period)' : '',
  ];
  return `${table.join('\n').trimEnd()}\n`;
}

/**
 * `iptv-auth-bridge stats`: reads the statistics store the config names
 * (read-only; it never creates or migrates one). Exit 0 with the figures,
 * 1 when there is nothing to read, 2 on usage errors.
 */
export async function statsCommand(
  args: string[],
  configFile: (given: string | undefined) => string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  now = Date.now(),
): Promise<number> {
  let options: {
    file: string;
    grouping: StatsGrouping;
    format: (typeof FORMATS)[number];
    since: number;
    until: number;
  };
  try {
    const { values, tokens } = parseArgs({
      args,
      tokens: true,
      options: {
        config: { type: 'string', short: 'c' },
        since: { type: 'string', default: '24h' },
        until: { type: 'string' },
        by: { type: 'string', default: 'channel' },
        format: { type: 'string', default: 'table' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      out.write(STATS_USAGE);
      return 0;
    }
    const repeated = repeatedOption(tokens);
    if (repeated !== undefined) throw new StatsUsageError(`--${repeated}: given more than once`);
    const grouping = values.by as StatsGrouping;
    if (!STATS_GROUPINGS.includes(grouping))
      throw new StatsUsageError(`--by: expected one of ${STATS_GROUPINGS.join('|')}`);
    const format = values.format as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new StatsUsageError(`--format: expected one of ${FORMATS.join('|')}`);
    const since = pointInTime(values.since, '--since', now);
    const until = values.until === undefined ? now : pointInTime(values.until, '--until', now);
    if (until < since)
      throw new StatsUsageError(
        values.until === undefined ? '--since is in the future (--until is now)' : '--until is before --since',
      );
    if (values.config === '') throw new StatsUsageError('--config needs a file name');
    options = { file: configFile(values.config), grouping, format, since, until };
  } catch (error) {
    if (!(error instanceof StatsUsageError) && !(error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      throw error;
    err.write(`${(error as Error).message}\n\n${STATS_USAGE}`);
    return 2;
  }
  const { file, grouping, format, since, until } = options;
  const { stats, sessions } = statsSettings(file);
  if (stats.store === 'off') {
    err.write(`statistics are off (stats.store: off in ${file}): only live sessions are kept, see /admin/sessions\n`);
    return 1;
  }
  if (stats.store === 'sqlite' && !existsSync(stats.path)) {
    err.write(
      `no statistics yet: ${stats.path} (stats.path in ${file}) does not exist; ` +
        'the bridge creates it on its first start\n',
    );
    return 1;
  }
  const database = openStatsDatabase(stats, { readonly: true })!;
  try {
    const rows = await createStatsView(
      database,
      () => undefined,
      () => now,
      sessions.idleTtl,
    ).query({ since: new Date(since), until: new Date(until), grouping });
    out.write(render(rows, grouping, format, { since, until }));
    return 0;
  } catch (error) {
    const where = stats.store === 'postgres' ? maskUrl(stats.url!) : stats.path;
    err.write(`cannot read statistics from ${where}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await database.close();
  }
}
