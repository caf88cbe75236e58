import { listen as listenField } from '../config/fields.js';
import { formatHostPort } from '../config/schema.js';
import { createLogger, exitOnceFlushed } from '../log.js';
import { loadFixtures, type Exchange, type Fixture } from '../replay/fixtures.js';
import { nearestExchange, type ReceivedRequest, startReplayServer } from '../replay/server.js';
import { maskOccurrences, secretEnvValues, withUrlEncoded } from '../secrets.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `--listen` in the same syntax as the config's `listen`; undefined when it is not one. */
export function parseListen(text: string): ListenAddress | undefined {
  const result = listenField.safeParse(text);
  return result.success ? result.data : undefined;
}

function answerLabel({ response }: Exchange): string {
  if (response.hang) return 'hang';
  if (response.reset) return 'reset';
  if (response.raw !== undefined) return 'raw';
  return String(response.status ?? 200);
}

/** Request paths as logged: values of secret environment variables (a key in the path) masked. */
function pathMasker(env: NodeJS.ProcessEnv): (path: string) => string {
  const secrets = withUrlEncoded(secretEnvValues(env));
  return (path) => maskOccurrences(path, secrets);
}

/**
 * `replay DIR`: serves a fixture folder as a simulated middleware until
 * SIGTERM/SIGINT. The log names the fixture that answered each request, but
 * never a query or header value (they hold tokens).
 */
export async function replay(dir: string, address: ListenAddress): Promise<void> {
  const shownPath = pathMasker(process.env);
  const fixtures = loadFixtures(dir);
  const log = createLogger({ level: 'info', format: 'text' });
  const onRequest = (request: ReceivedRequest, answeredBy: Fixture | undefined) => {
    const where = { method: request.method, path: shownPath(request.path) };
    if (answeredBy) {
      // A path the recording hashed held a secret: it is not printed here either.
      const path = typeof answeredBy.request.path === 'string' ? where.path : '(hashed in the fixture)';
      log.info('replayed', { ...where, path, fixture: answeredBy.file, answer: answerLabel(answeredBy) });
    } else {
      // The fixture that came closest and what it expects otherwise, by name: what changed since the recording.
      const nearest = nearestExchange(fixtures, request);
      log.warn('no fixture matches', {
        ...where,
        params: Object.keys(request.query).join(',') || undefined,
        nearest: nearest?.exchange.file,
        differs: nearest?.differs.join(',') || undefined,
        answer: 500,
      });
    }
  };
  const server = await startReplayServer(fixtures, { ...address, onRequest, keepReceived: false }).catch(
    (error: unknown) => {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new Error(`cannot listen on ${formatHostPort(address.host, address.port)} (--listen): ${reason}`);
    },
  );
  log.info('listening', {
    address: server.url.replace('http://', ''),
    url: server.url,
    fixtures: fixtures.length,
    folder: dir,
  });

  const stop = (signal: string) => {
    log.info('stopping', { signal });
    void server.close().finally(() => exitOnceFlushed(log, 0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
