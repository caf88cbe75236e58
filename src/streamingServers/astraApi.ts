import { request } from 'undici';

/** One entry of Astra's `{"cmd":"sessions"}` answer (Cesbo help: Sessions API): what the connector matches by. */
export interface AstraSession {
  /** As Astra sent it (a number in older releases, a string in newer ones); `close-session` gets it back as is. */
  readonly clientId: string | number;
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

/**
 * The sessions of `{"cmd":"sessions"}`'s answer, each by its `client_id` (the one field the connector reads). Walked by
 * hand, not by a schema: the list is read on the event loop, and a schema took as long as JSON.parse itself (about
 * 1 ms per 1,000 sessions each).
 */
function sessionsOf(answer: unknown): AstraSession[] {
  const list = (answer as { sessions?: unknown } | null)?.sessions;
  if (!Array.isArray(list)) throw notAList('sessions: expected an array');
  const sessions: AstraSession[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const clientId = (list[i] as { client_id?: unknown } | null)?.client_id;
    if (!(typeof clientId === 'number' || (typeof clientId === 'string' && clientId !== '')))
      throw notAList(`sessions.${i}.client_id: expected a string or a number`);
    sessions[i] = { clientId };
  }
  return sessions;
}

const notAList = (problem: string) => new Error(`Astra's sessions answer is not a session list: ${problem}`);

/**
 * Astra's control API: `POST <url>/control/` with a JSON command, HTTP Basic
 * auth. Every call is bounded by `timeoutMs`; an error says what went wrong
 * without the password.
 */
export function createAstraApi({ url, login, password, timeoutMs }: AstraApiOptions): AstraApi {
  const endpoint = new URL('control/', url.endsWith('/') ? url : `${url}/`).href;
  const authorization = `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

  async function call(command: object): Promise<unknown> {
    try {
      return await exchange(command);
    } catch (error) {
      throw plainly(error);
    }
  }

  /** An error as the status page and log show it: a timeout with its bound, a refused connection by its code. */
  function plainly(error: unknown): unknown {
    const { name, code } = error as { name?: string; code?: string };
    if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
      return new Error(`Astra did not answer within ${timeoutMs} ms`);
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new Error(`cannot connect to Astra (${code})`);
    return error;
  }

  async function exchange(command: object): Promise<unknown> {
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
      return sessionsOf(await call({ cmd: 'sessions' }));
    },
    async closeSession(clientId) {
      await call({ cmd: 'close-session', id: clientId });
    },
  };
}
