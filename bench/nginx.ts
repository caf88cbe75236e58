/**
 * The peer an operator already has: Debian's nginx answering checks with
 * `auth_request` in front of the same middleware, its answers kept by
 * `proxy_cache`. Configured here, in a temp folder, on a free loopback port,
 * one worker pinned to the server core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpPaths } from '../test/support/nginxServer.js';
import { closedPort } from '../test/support/replayServer.js';
import { onCores, SERVER_CORE } from './cores.js';
import type { Running } from './processes.js';

export interface AuthCacheConfig {
  /** The folder nginx runs in: pid, logs, temp paths and the cache itself. */
  readonly dir: string;
  readonly port: number;
  /** `127.0.0.1:PORT` of the middleware, asked `GET /check?<the viewer's query>`. */
  readonly middleware: string;
  /** As many kept-alive connections to the middleware as the bridge keeps (256). */
  readonly upstreamConnections: number;
}

/**
 * nginx.conf for the peer. The cache key is what the bridge keys a Cesbo-style
 * check by: the viewer's whole query, the viewer's IP and the channel (here the
 * path it is in). An allow lives the 600 s the bench middleware's
 * X-AuthDuration says (nginx does not read that header), a deny the bridge's
 * default 30 s. `proxy_cache_lock` merges identical misses as the bridge's
 * coalescing does, and `use_stale` answers from an expired entry while the
 * middleware fails or the entry is being refreshed, as stale-if-error does.
 * The access log goes to /dev/null, as the bridge's decision log does here.
 */
function authCacheConfig({ dir, port, middleware, upstreamConnections }: AuthCacheConfig): string {
  return `daemon off;
worker_processes 1;
${process.getuid?.() === 0 ? 'user nobody nogroup;' : ''}
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 8192; }
http {
  ${httpPaths(dir)}
  access_log /dev/null;
  proxy_cache_path ${join(dir, 'cache')} levels=1:2 keys_zone=decisions:64m inactive=1h use_temp_path=off;
  upstream middleware {
    server ${middleware};
    keepalive ${upstreamConnections};
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /ready { return 200; }
    location = /auth {
      # The subrequest shares the viewer request's variables, not its query: keep the query in one.
      set $viewer_query $args;
      auth_request /decide;
      # A content handler, not \`return\`: return would answer in the rewrite phase, before the access check.
      empty_gif;
    }
    location = /decide {
      internal;
      proxy_pass http://middleware/check?$viewer_query;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_cache decisions;
      proxy_cache_key "$viewer_query|$http_x_real_ip|$http_x_real_path";
      proxy_cache_valid 200 600s;
      proxy_cache_valid 403 30s;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 5s;
      proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
      proxy_connect_timeout 5s;
      proxy_read_timeout 5s;
    }
  }
}
`;
}

const READY_WITHIN_MS = 10_000;

/** Kills nginx's whole process group: its worker must not outlive a failed bench and keep the port. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of started) killGroup(child, 'SIGKILL');
});

/** nginx with the peer's config in front of `middlewareUrl` (`http://127.0.0.1:PORT`), once it answers. */
export async function startNginxPeer(middlewareUrl: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-bench-nginx-'));
  // Workers run as nobody when we are root: they must reach their cache and temp folders.
  chmodSync(dir, 0o755);
  const port = await closedPort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    authCacheConfig({ dir, port, middleware: new URL(middlewareUrl).host, upstreamConnections: 256 }),
  );
  const [command, args] = onCores(SERVER_CORE, 'nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  started.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start (${child.exitCode}): ${stderr}`);
    if (
      await fetch(`${url}/ready`).then(
        (res) => res.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`nginx did not answer on ${url} within ${READY_WITHIN_MS} ms: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      killGroup(child, 'SIGTERM');
      await exited;
      started.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
