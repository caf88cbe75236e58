/** What every scenario of one `npm run bench` run shares: its length, the viewer it sends, the bridge's base config. */
const quick = process.argv.includes('--quick');

export const QUICK = quick;
/** Seconds of load per row, after a second of warm-up (FIRST_WARM_UP_SECONDS the first time a server is measured). */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? (quick ? 2 : 5));
export const FIRST_WARM_UP_SECONDS = quick ? 2 : 3;
/** Rows compared as ratios run this many times, interleaved, so drift of a shared machine weighs on both sides alike. */
export const ROUNDS = quick ? 1 : 2;
export const CONNECTIONS = 32;
export const VIEWER: Readonly<Record<string, string>> = {
  'x-real-ip': '203.0.113.7',
  'x-real-path': '/tv/a001/index.m3u8',
  'x-session-id': '1',
};
/** Metrics off (no admin listener to read them) unless a scenario says otherwise. */
export const BRIDGE_BASE: readonly string[] = ['log: {level: info, format: json}', 'admin: {listen: "off"}'];

export function backendLines(middlewareUrl: string): string[] {
  return ['backends:', `  mw: {type: http, url: "${middlewareUrl}/check"}`];
}
