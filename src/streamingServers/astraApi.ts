import { request } from 'undici';
import { z } from 'zod';

/** One entry of Astra's `{"cmd":"sessions"}` answer (Cesbo help: Sessions API). */
export interface AstraSession {
  /** As Astra sent it (a number in older releases, a string in newer ones); `close-session` gets it back as is. */
  readonly clientId: string | number;
  readonly channelId?: string;
  readonly channelName?: string;
  readonly addr?: string;
  readonly uptime?: number;
}

export interface AstraApi {
  sessions(): Promise<AstraSession[]>;
  closeSession(clientId: string | number): Promise<void>;
}

export interface AstraApiOptions {
  readonly url: string;
  readonly login: string;
  readonly password: string;
  readonly timeoutMs: number;
}

/** An answer bigger than this is not a session list (100,000 sessions take about 15 MB). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

const sessionsAnswer = z.object({
  sessions: z.array(
    z.object({
      client_id: z.union([z.string().min(1), z.number()]),
      channel_id: z.union([z.string(), z.number()]).optional(),
      channel_name: z.string().optional(),
      addr: z.string().optional(),
      uptime: z.number().optional(),
    }),
  ),
});

/**
 * Astra's control API: `POST <url>/control/` with a JSON command, HTTP Basic
 * auth. Every call is bounded by `timeoutMs`; an error says what went wrong
 * without the password.
 */
export function createAstraApi({ url, login, password, timeoutMs }: AstraApiOptions): AstraApi {
  const endpoint = new URL('control/', url.endsWith('/') ? url : `${url}/`).href;
  const authorization = `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

  async function call(command: object): Promise<unknown> {
    const response = await request(endpoint, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(command),
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      const hint = response.statusCode === 401 || response.statusCode === 403 ? ' (check login and password)' : '';
      throw new Error(`Astra answered HTTP ${response.statusCode}${hint}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        response.body.destroy();
        throw new Error(`Astra's answer is larger than ${MAX_ANSWER_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new Error('Astra answered something that is not JSON');
    }
  }

  return {
    async sessions() {
      const parsed = sessionsAnswer.safeParse(await call({ cmd: 'sessions' }));
      if (!parsed.success)
        throw new Error(
          `Astra's sessions answer is not a session list: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}`,
        );
      return parsed.data.sessions.map((s) => ({
        clientId: s.client_id,
        channelId: s.channel_id === undefined ? undefined : String(s.channel_id),
        channelName: s.channel_name,
        addr: s.addr,
        uptime: s.uptime,
      }));
    },
    async closeSession(clientId) {
      await call({ cmd: 'close-session', id: clientId });
    },
  };
}
