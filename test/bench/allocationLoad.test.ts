import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loader } from '../../bench/allocationLoad.js';

const servers: { close(): void; closeIdle(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function counting(status: (count: number) => number) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.url} ${req.headers['x-real-ip']}`);
    res.writeHead(status(seen.length), { 'Content-Length': '6' });
    res.end('allow\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    closeIdle: () => server.closeIdleConnections(),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  });
  return { port: (server.address() as AddressInfo).port, seen };
}

describe('loader', () => {
  it('sends exactly the requests asked for, with its headers, and resolves once all are answered', async () => {
    const { port, seen } = await counting(() => 200);
    const load = await loader(port, '/auth?token=t', { 'x-real-ip': '203.0.113.7' }, 4);
    await load.send(50);
    expect(seen).toHaveLength(50);
    await load.send(3);
    load.close();
    expect(seen).toHaveLength(53);
    expect(new Set(seen)).toEqual(new Set(['/auth?token=t 203.0.113.7']));
  });

  it('connects anew what the server closed while it was idle, and sends its request again', async () => {
    const { port, seen } = await counting(() => 200);
    const load = await loader(port, '/', {}, 3);
    await load.send(3);
    servers.at(-1)!.closeIdle();
    // Whether or not the sockets heard of it yet: either way every request is answered.
    await load.send(9);
    await load.open();
    await load.send(6);
    load.close();
    expect(seen).toHaveLength(18);
  });

  it('refuses an answer that is not a 200', async () => {
    const { port } = await counting((count) => (count === 5 ? 403 : 200));
    const load = await loader(port, '/', {}, 2);
    await expect(load.send(10)).rejects.toThrow('not a 200: HTTP/1.1 403');
    load.close();
  });
});
