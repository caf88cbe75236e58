import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAstraApi } from '../../src/streamingServers/astraApi.js';
import { type AstraMock, startAstraMock } from './support/astraMock.js';

const LOGIN = 'admin';
const PASSWORD = 'astra-pass-7f3a';

let astra: AstraMock;
const api = (more: { url?: string; password?: string; timeoutMs?: number } = {}) =>
  createAstraApi({ url: astra.url, login: LOGIN, password: PASSWORD, timeoutMs: 2000, ...more });

beforeAll(async () => {
  astra = await startAstraMock(LOGIN, PASSWORD);
});
afterAll(() => astra.stop());
beforeEach(() => {
  astra.sessions = [];
  astra.answerText = undefined;
  astra.holdCloses = false;
});

describe('createAstraApi', () => {
  it('lists sessions by client_id, a number or a string as Astra sent it, with or without a slash after the URL', async () => {
    astra.sessions = [{ client_id: 17, channel_id: 'a001', addr: '203.0.113.7' }, { client_id: 'c-18' }];
    expect(await api().sessions()).toEqual([{ clientId: 17 }, { clientId: 'c-18' }]);
    expect(await api({ url: `${astra.url}/` }).sessions()).toEqual([{ clientId: 17 }, { clientId: 'c-18' }]);
  });

  it('closes a session by the id as listed', async () => {
    astra.sessions = [{ client_id: 17 }, { client_id: 'c-18' }];
    await api().closeSession(17);
    await api().closeSession('c-18');
    expect(astra.closed.slice(-2)).toEqual([17, 'c-18']);
  });

  it('says to check the login and password on a 401, without showing the password', async () => {
    const refused = api({ password: 'wrong-pass-99' }).sessions();
    await expect(refused).rejects.toThrow('Astra answered HTTP 401 (check login and password)');
    const message = await refused.catch((error: Error) => error.message);
    expect(message).not.toContain('wrong-pass-99');
  });

  it('names the status of any other answer than 200', async () => {
    await expect(api({ url: `${astra.url}/elsewhere` }).sessions()).rejects.toThrow('Astra answered HTTP 404');
  });

  it('refuses an answer that is not JSON, or not a list of sessions each with a client_id, saying where', async () => {
    for (const [text, problem] of [
      ['<html>', 'Astra answered something that is not JSON'],
      ['', "Astra's sessions answer is not a session list: sessions: expected an array"],
      ['null', "Astra's sessions answer is not a session list: sessions: expected an array"],
      ['{"sessions": {"0": {"client_id": 1}}}', "Astra's sessions answer is not a session list: sessions: expected"],
      ['{"sessions": [{"client_id": 1}, null]}', 'sessions.1.client_id: expected a string or a number'],
      ['{"sessions": [{"client_id": ""}]}', 'sessions.0.client_id: expected a string or a number'],
      ['{"sessions": [{"client_id": true}]}', 'sessions.0.client_id: expected a string or a number'],
    ]) {
      astra.answerText = text;
      await expect(api().sessions(), text).rejects.toThrow(problem);
    }
  });

  it('says it cannot connect, by the code, where nothing listens', async () => {
    const stopped = await startAstraMock(LOGIN, PASSWORD);
    await stopped.stop();
    await expect(api({ url: stopped.url }).sessions()).rejects.toThrow('cannot connect to Astra (ECONNREFUSED)');
  });

  it('gives up on a server that does not answer within timeoutMs', async () => {
    astra.sessions = [{ client_id: 1 }];
    astra.holdCloses = true;
    try {
      await expect(api({ timeoutMs: 100 }).closeSession(1)).rejects.toThrow('Astra did not answer within 100 ms');
    } finally {
      astra.releaseCloses();
    }
  });
});
