import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockSession {
  client_id: string | number;
  channel_id?: string;
  channel_name?: string;
  addr?: string;
  uptime?: number;
}

/**
 * A stand-in for Astra's control API on 127.0.0.1: `POST /control/` with a
 * JSON command and HTTP Basic auth, as Cesbo's help pages describe it. It
 * lists `sessions`, records `close-session` and drops the closed session.
 */
export interface AstraMock {
  readonly url: string;
  sessions: MockSession[];
  /** Ids of every close-session received, as sent. */
  readonly closed: (string | number)[];
  /** Requests refused for wrong credentials. */
  unauthorized: number;
  /** When set, the sessions answer is this text instead. */
  answerText?: string;
  /** When set, close-session calls get no answer until `releaseCloses`: a server that hangs on each. */
  holdCloses: boolean;
  /** Close-session calls held now. */
  readonly closesHeld: number;
  releaseCloses(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startAstraMock(login: string, password: string): Promise<AstraMock> {
  const expected = `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
  let port = 0;
  let server: Server | undefined;
  let held: (() => void)[] = [];
  const mock: AstraMock = {
    url: '',
    sessions: [],
    closed: [],
    unauthorized: 0,
    holdCloses: false,
    get closesHeld() {
      return held.length;
    },
    releaseCloses() {
      const answers = held;
      held = [];
      for (const answer of answers) answer();
    },
    async stop() {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      server = undefined;
    },
    async start() {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          if (req.headers.authorization !== expected) {
            mock.unauthorized++;
            res.writeHead(401, { 'www-authenticate': 'Basic realm="Astra"' }).end();
            return;
          }
          if (req.method !== 'POST' || req.url !== '/control/') {
            res.writeHead(404).end();
            return;
          }
          const command = JSON.parse(body) as { cmd: string; id?: string | number };
          if (command.cmd === 'sessions') {
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(mock.answerText ?? JSON.stringify({ sessions: mock.sessions }));
          } else if (command.cmd === 'close-session') {
            const answer = () => {
              mock.closed.push(command.id!);
              mock.sessions = mock.sessions.filter((s) => s.client_id !== command.id);
              res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
            };
            if (mock.holdCloses) held.push(answer);
            else answer();
          } else {
            res.writeHead(400).end();
          }
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      (mock as { url: string }).url = `http://127.0.0.1:${port}`;
    },
  };
  await mock.start();
  return mock;
}
