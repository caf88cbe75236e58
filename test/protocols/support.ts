import type { IncomingMessage } from 'node:http';
import type { OutboundRequest } from '../../src/adapters/transport.js';
import type { ReadBody, ReadLimits } from '../../src/protocols/types.js';
import { RequestProblem } from '../../src/requestProblem.js';
import type { ViewerRequest } from '../../src/viewer.js';
import { sketched } from '../support/decisions.js';

export const LIMITS: ReadLimits = { maxQueryBytes: 8192, maxBodyBytes: 16_384, bodyTimeoutMs: 5000 };

/** A request as Node's HTTP server hands it over: target, lower-case header names, header values as latin1 text. */
export function incoming(url: string, headers: Record<string, string> = {}, method = 'GET'): IncomingMessage {
  return {
    url,
    method,
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
  } as unknown as IncomingMessage;
}

/** What a middleware receives from an outbound request, as a request the bridge could itself read. */
export function received(outbound: OutboundRequest): IncomingMessage {
  return incoming(outbound.path, { ...outbound.headers }, outbound.method ?? 'GET');
}

export const urlOf = ({ origin, path }: { origin: string; path: string }) => new URL(path, origin);

/** An Astra viewer as Astra describes it: channel id, path, session, user agent, host and the viewer's query. */
export const astraViewer: ViewerRequest = {
  dialect: 'cesbo',
  ip: '203.0.113.7',
  channel: 'a001',
  channelId: 'a001',
  path: '/play/a001/index.m3u8',
  session: '12345',
  userAgent: 'VLC/3.0',
  host: 'tv.example.com',
  rawQuery: 'token=abc%2Bdef&lang=en',
  token: 'abc+def',
};

/** A hook caller's POST; the body is handed to `read` already parsed, as the decision handler does. */
export const hookPost = incoming('/', {}, 'POST');
export const jsonBody = (document: Record<string, unknown>): ReadBody => ({ format: 'json', document });
export const formBody = (text: string): ReadBody => ({ format: 'form', text });

/** Decisions whose answer headers every hook caller writes the same way. */
export const hookAllow = sketched({
  allow: true,
  decidedBy: 'backend:mw',
  ttlSeconds: 60,
  sessionName: 'alice',
  userId: '42',
});
export const hookDeny = sketched({ allow: false, decidedBy: 'backend:mw', ttlSeconds: 30, redirect: 'http://promo/' });

/** The status and message of the RequestProblem `read` throws, or undefined when it reads. */
export function problemOf(read: () => unknown): { status: number; message: string } | undefined {
  try {
    read();
  } catch (error) {
    if (error instanceof RequestProblem) return { status: error.status, message: error.message };
    throw error;
  }
  return undefined;
}
