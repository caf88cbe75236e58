import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';

export interface RedisServer {
  /** `redis://[:password@]127.0.0.1:<port>/0` */
  readonly url: string;
  readonly port: number;
  /** Ends the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL, as when Redis dies under the bridge; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing, as a stalled Redis would. */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
  /** Starts the server again on the same port (after stop or kill), answering PING before it resolves. */
  restart(): Promise<void>;
  /** `maxmemory` below what it uses, with `noeviction`: every write is refused with OOM, reads go on. */
  fill(): Promise<void>;
  /** Lifts `fill`. */
  unfill(): Promise<void>;
  /** Makes it a replica of a master that is not there: every write is refused with READONLY, reads go on. */
  makeReadOnly(): Promise<void>;
  /** Lifts `makeReadOnly` (REPLICAOF NO ONE). */
  makeWritable(): Promise<void>;
}

export interface RedisServerOptions {
  /** Makes clients authenticate (`requirepass`). */
  readonly password?: string;
}

const NOT_INSTALLED =
  'redis-server is not installed, so the Redis tests cannot run: ' +
  'apt-get install -y --no-install-recommends redis-server (.ci/run installs it when missing)';
const READY_WITHIN_MS = 10_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port for redis-server');
  return address.port;
}

/** True once the server on `port` answers PING (an authenticating server answers NOAUTH, which counts). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (reply) => done(/^(\+PONG|-NOAUTH)/.test(reply.toString())));
    socket.write('PING\r\n');
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(port: number, options: RedisServerOptions): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'ENOENT' ? NOT_INSTALLED : `redis-server: ${error.message}`)),
    );
    child.once('exit', (code, signal) =>
      reject(new Error(`redis-server exited at start (${signal ?? code}):\n${output}`)),
    );
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + READY_WITHIN_MS;
  while (!(await Promise.race([answersPing(port), failed]))) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING on port ${port} within ${READY_WITHIN_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.removeAllListeners('exit');
  return child;
}

/** Sends one command to the server on its own connection, as an operator's redis-cli would. */
async function command(url: string, name: string, ...args: string[]): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    await client.call(name, ...args);
  } finally {
    client.disconnect();
  }
}

/** A real redis-server of its own on a free loopback port, with nothing saved to disk. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  let child = await launch(port, options);
  const credentials = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  const url = `redis://${credentials}127.0.0.1:${port}/0`;
  return {
    url,
    port,
    async stop() {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited(child);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    freeze() {
      child.kill('SIGSTOP');
    },
    thaw() {
      child.kill('SIGCONT');
    },
    async restart() {
      await exited(child);
      child = await launch(port, options);
    },
    async fill() {
      await command(url, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      await command(url, 'CONFIG', 'SET', 'maxmemory', '1');
    },
    async unfill() {
      await command(url, 'CONFIG', 'SET', 'maxmemory', '0');
    },
    async makeReadOnly() {
      const nowhere = await freePort();
      await command(url, 'CONFIG', 'SET', 'replica-read-only', 'yes');
      await command(url, 'REPLICAOF', '127.0.0.1', String(nowhere));
    },
    async makeWritable() {
      await command(url, 'REPLICAOF', 'NO', 'ONE');
    },
  };
}
