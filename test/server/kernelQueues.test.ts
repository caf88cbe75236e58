import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { readAcceptQueue, readKernelQueues } from '../../src/server/kernelQueues.js';

/** Whether this process may make a mount namespace of its own (root with CAP_SYS_ADMIN, as the suite runs here). */
const MOUNT_NAMESPACES =
  process.platform === 'linux' && spawnSync('unshare', ['--mount', 'true'], { stdio: 'ignore' }).status === 0;

const connected = (port: number, bytes = '') =>
  new Promise<Socket>((resolve) => {
    const socket = connect(port, '127.0.0.1', () =>
      bytes ? socket.write(bytes, () => resolve(socket)) : resolve(socket),
    );
  });

describe('readKernelQueues and readAcceptQueue', () => {
  it('read the accept queue and unread bytes per peer port from the tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernel-queues-'));
    const table = join(dir, 'tcp');
    // Port 8088 = 0x1F98: a listener with 3 queued connections, a connection with 0x5F unread bytes,
    // one with none, a half-closed one with 7, and a socket of another port that must not count.
    writeFileSync(
      table,
      [
        '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
        '   0: 0100007F:1F98 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
        '   1: 0100007F:1F98 0100007F:C350 01 00000000:0000005F 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1',
        '   2: 0100007F:1F98 0100007F:C351 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1',
        '   3: 0100007F:1F98 0100007F:C352 08 00000000:00000007 00:00000000 00000000     0        0 4 1 0 20 4 30 10 -1',
        '   4: 0100007F:1F99 0100007F:C353 01 00000000:00000010 00:00000000 00000000     0        0 5 1 0 20 4 30 10 -1',
        '',
      ].join('\n'),
    );
    const queues = await readKernelQueues(8088, [table, join(dir, 'missing')]);
    expect(readAcceptQueue(8088, [table, join(dir, 'missing')])).toBe(3);
    expect([...(queues?.unreadByPeerPort ?? [])]).toEqual([
      [50000, 95],
      [50001, 0],
      [50002, 7],
    ]);
  });

  it.runIf(MOUNT_NAMESPACES)(
    'read the tables under ProcSubset=pid, which hides /proc/net (the shipped unit sets it)',
    async () => {
      // A /proc of the unit's kind, mounted in a mount namespace of the child's own.
      const script = [
        "const { readAcceptQueue, readKernelQueues } = await import('./src/server/kernelQueues.ts');",
        "const { existsSync } = await import('node:fs');",
        "const server = (await import('node:net')).createServer().listen(0, '127.0.0.1', async () => {",
        '  const { port } = server.address();',
        "  console.log(JSON.stringify({ hidden: !existsSync('/proc/net/tcp'), accept: readAcceptQueue(port),",
        '    queues: (await readKernelQueues(port)) !== undefined }));',
        '  server.close();',
        '});',
      ].join('\n');
      const child = spawn(
        'unshare',
        [
          '--mount',
          '--fork',
          'sh',
          '-c',
          'mount -t proc -o subset=pid proc /proc && exec "$0" --import tsx --input-type=module -e "$1"',
          process.execPath,
          script,
        ],
        { cwd: join(import.meta.dirname, '..', '..') },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await once(child, 'exit');
      expect(JSON.parse(out.trim())).toEqual({ hidden: true, accept: 0, queues: true });
    },
  );

  it('say they cannot see anything where no table can be read', async () => {
    expect(await readKernelQueues(8088, ['/nonexistent/tcp'])).toBeUndefined();
    expect(readAcceptQueue(8088, ['/nonexistent/tcp'])).toBeUndefined();
  });

  it('reads the accept queue from the listening rows only, the first the kernel writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernel-queues-'));
    const table = join(dir, 'tcp');
    // 2000 connection rows after the listeners, one of them a (malformed) LISTEN row of the same port
    // that must not be read: the reader stops at the first row that is not listening.
    const row = (n: number, state: string, rx: number) =>
      `${String(n).padStart(4)}: 0100007F:1F98 0100007F:${(50000 + n).toString(16).toUpperCase()} ${state} 00000000:${rx.toString(16).padStart(8, '0')} 00:00000000 00000000     0        0 ${n} 1 0 20 4 30 10 -1`;
    writeFileSync(
      table,
      [
        '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
        '   0: 0100007F:1F99 00000000:0000 0A 00000000:00000009 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
        '   1: 0100007F:1F98 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
        ...Array.from({ length: 2000 }, (_, n) => row(n + 2, '06', 0)),
        row(2002, '0A', 40),
        '',
      ].join('\n'),
    );
    expect(readAcceptQueue(8088, [table])).toBe(2);
  });

  it.runIf(process.platform === 'linux')(
    'sees what the real kernel holds: connections a frozen process has not accepted, bytes not read',
    async () => {
      const child = spawn(process.execPath, [
        '-e',
        "require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port) })",
      ]);
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const port = Number(line.toString().trim());
      child.kill('SIGSTOP');
      const waiting = await Promise.all([connected(port, 'GET / HTTP/1.1\r\n\r\n'), connected(port), connected(port)]);
      expect(readAcceptQueue(port)).toBe(3);
      child.kill('SIGKILL');
      for (const socket of waiting) socket.destroy();

      // Accepted but never read from: the bytes stay in the kernel.
      const server = createServer({ pauseOnConnect: true });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const serverPort = (server.address() as { port: number }).port;
      const client = await connected(serverPort, 'twelve bytes');
      await expect
        .poll(async () => (await readKernelQueues(serverPort))?.unreadByPeerPort.get(client.localPort!))
        .toBe(12);
      client.destroy();
      server.close();
    },
  );
});
