/**
 * A service manager in miniature, for the socket-activation test. Started by
 * systemd's own `systemd-socket-activate`, which opens the listening sockets
 * and passes them here as fd 3 onwards, it holds them the way systemd does
 * (never accepting on them) and runs `serve` on them, one process after
 * another, so checks can be sent across a restart.
 *
 *   systemd-socket-activate -l HOST:PORT --fdname=decisions node socketSupervisor.mjs CLI CONFIG
 *
 * (the test runs it bundled by builtSupport in built.ts).
 *
 * Commands on stdin, one per line: `start` runs serve, `stop` sends it SIGTERM.
 * Stdout: serve's own log lines, and `{"supervisor": "started"|"exited", ...}`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const [cli, config] = process.argv.slice(2);
const count = Number(process.env.LISTEN_FDS);
if (!cli || !config || process.env.LISTEN_PID !== String(process.pid) || !(count > 0)) {
  process.stderr.write('usage: under systemd-socket-activate: socketSupervisor.ts CLI CONFIG\n');
  process.exit(2);
}
const fds = Array.from({ length: count }, (_, i) => 3 + i);
const report = (event: 'started' | 'exited', fields: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ supervisor: event, ...fields })}\n`);
let child: ChildProcess | undefined;

function start(): void {
  // LISTEN_PID must name the process the sockets are for; a shell sets it to its own pid, then becomes serve.
  child = spawn(
    '/bin/sh',
    ['-c', 'LISTEN_PID=$$ exec "$0" "$@"', process.execPath, cli!, 'serve', '--config', config!],
    {
      stdio: ['ignore', 'pipe', 'inherit', ...fds],
      env: { ...process.env, LISTEN_PID: undefined },
    },
  );
  const running = child;
  running.stdout!.pipe(process.stdout, { end: false });
  running.on('exit', (code, signal) => report('exited', { pid: running.pid, code, signal }));
  report('started', { pid: running.pid });
}

createInterface({ input: process.stdin }).on('line', (command) => {
  if (command === 'start') start();
  else if (command === 'stop') child?.kill('SIGTERM');
});
process.stdin.on('end', () => {
  child?.kill('SIGKILL');
  process.exit(0);
});
