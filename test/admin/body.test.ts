import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminProblem, readJsonBody } from '../../src/admin/body.js';

let server: Server;
let port: number;

beforeAll(async () => {
  // A real server reading bodies as the admin listener does, with a short time limit.
  server = createServer((req, res) => {
    readJsonBody(req, { maxBytes: 64, timeoutMs: 150 }).then(
      (body) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ body: body ?? null })),
      (error: AdminProblem) => res.writeHead(error.status, { Connection: 'close' }).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends `head` and `body` on a raw socket and resolves with whatever comes back before the server closes. */
function raw(head: string, body: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\n\r\n${body}`));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
}

describe('readJsonBody', () => {
  it('reads a JSON body, and no body as none', async () => {
    const sent = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: '{"route":"a"}',
    });
    expect(await sent.json()).toEqual({ body: { route: 'a' } });
    const empty = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' });
    expect(await empty.json()).toEqual({ body: null });
  });

  it('answers 400 to a body that is not UTF-8, rather than reading it with replacement characters', async () => {
    const sent = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from([...Buffer.from('{"token":"'), 0xff, 0xfe, ...Buffer.from('"}')]),
    });
    expect(sent.status).toBe(400);
    expect(await sent.text()).toBe('body is not UTF-8 text');
  });

  it('answers 400 naming a key an object gives twice, rather than keeping one of the two', async () => {
    const send = (body: string) =>
      fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const twice = await send('{"login":"alice","login":"bob"}');
    expect(twice.status).toBe(400);
    expect(await twice.text()).toBe('login: given more than once');
    // The same key once escaped: JSON.parse reads both as one.
    expect(await (await send('{"a":{"x":1,"\\u0078":2}}')).text()).toBe('a.x: given more than once');
    expect(await (await send('[{"k":1},{"k":2}]')).json()).toEqual({ body: [{ k: 1 }, { k: 2 }] });
    expect(await (await send('{"a":{"k":1},"b":{"k":2}}')).json()).toEqual({ body: { a: { k: 1 }, b: { k: 2 } } });
  });

  it('reads a body of blanks as a body: refused unless it is JSON, never taken for none', async () => {
    const blanks = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '   ',
    });
    expect([blanks.status, await blanks.text()]).toEqual([415, 'send the body as Content-Type: application/json']);
    const asJson = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: ' \n ',
    });
    expect([asJson.status, await asJson.text()]).toEqual([400, 'body is not valid JSON']);
  });

  it('answers 400 to a body nested deeper than any admin body, rather than overflowing the key check', async () => {
    const deep = createServer((req, res) => {
      readJsonBody(req, { maxBytes: 16_384, timeoutMs: 5000 }).then(
        () => res.writeHead(200).end('read'),
        (error: AdminProblem) => res.writeHead(error.status).end(error.message),
      );
    });
    await new Promise<void>((resolve) => deep.listen(0, '127.0.0.1', resolve));
    const send = (body: string) =>
      fetch(`http://127.0.0.1:${(deep.address() as AddressInfo).port}/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      }).then(async (answer) => [answer.status, await answer.text()]);
    try {
      expect(await send(`${'['.repeat(8000)}${']'.repeat(8000)}`)).toEqual([
        400,
        'body nested more than 32 levels deep',
      ]);
      expect(await send(`${'{"a":'.repeat(33)}1${'}'.repeat(33)}`)).toEqual([
        400,
        'body nested more than 32 levels deep',
      ]);
      // Brackets inside a string are no nesting.
      expect(await send(`{"token":"${'['.repeat(5000)}"}`)).toEqual([200, 'read']);
      expect(await send(`${'['.repeat(32)}${']'.repeat(32)}`)).toEqual([200, 'read']);
    } finally {
      await new Promise((resolve) => deep.close(resolve));
    }
  });

  it('answers 408 to a body that does not arrive in time, on the real event', async () => {
    const answer = await raw(
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40',
      '{"rou',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('body not complete within 150 ms');
  });

  it('answers 413 to a declared or an actual body over the limit, without reading it all', async () => {
    expect(
      await raw('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000', '{'),
    ).toMatch(/^HTTP\/1\.1 413 /);
    const chunked = await raw(
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked',
      `50\r\n${'x'.repeat(80)}\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
  });
});
