import { checkConfigFile } from '../config/check.js';
import { formatTrace } from '../trace/format.js';
import { traceCheck, type CallerRequest } from '../trace/trace.js';
import { channelFromPath, protoFromPath } from '../viewer.js';

export interface ProbeOptions {
  readonly route: string;
  readonly dialect: CallerRequest['dialect'];
  /** The viewer's own query string (`token=...`). */
  readonly query: string;
  readonly ip?: string;
  readonly path?: string;
  readonly channel?: string;
  readonly session?: string;
  readonly json?: boolean;
}

function defined(entries: [string, string | undefined][]): Record<string, string> {
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * The check as the chosen caller would send it: Astra's `X-Real-*` headers
 * around the viewer's query, or Flussonic's parameters with the viewer's
 * query in `qs` (a new session; stream name and protocol from the path when
 * no channel is given).
 */
export function callerRequestFor(options: ProbeOptions): CallerRequest {
  if (options.dialect === 'cesbo') {
    return {
      dialect: 'cesbo',
      query: options.query,
      headers: defined([
        ['x-real-ip', options.ip],
        ['x-real-path', options.path],
        ['x-channel-id', options.channel],
        ['x-session-id', options.session],
      ]),
    };
  }
  const query = options.query.replace(/^\?/, '');
  const params = new URLSearchParams(
    defined([
      ['name', options.channel ?? channelFromPath(options.path)],
      ['ip', options.ip],
      ['proto', options.path === undefined ? undefined : protoFromPath(options.path)],
      ['session_id', options.session],
      ['request_type', 'new_session'],
      ['qs', query === '' ? undefined : query],
    ]),
  );
  return { dialect: 'flussonic', query: params.toString() };
}

/** Times to a hundredth of a millisecond: the rest is noise, and makes the JSON hard to read. */
function hundredthsOfMs(key: string, value: unknown): unknown {
  return key === 'durationMs' && typeof value === 'number' ? Math.round(value * 100) / 100 : value;
}

/**
 * `probe`: decides one check through the configured route, live against the
 * middlewares and without the cache, and prints each step. Exit 0 on allow,
 * 1 on deny. A bad config or input rejects (the CLI answers exit 2).
 */
export async function probeCommand(
  file: string,
  options: ProbeOptions,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
): Promise<number> {
  const { config } = checkConfigFile(file, env);
  const trace = await traceCheck(config, options.route, callerRequestFor(options), { env });
  out.write(options.json ? `${JSON.stringify(trace, hundredthsOfMs, 2)}\n` : formatTrace(trace));
  return trace.decision.allow ? 0 : 1;
}
