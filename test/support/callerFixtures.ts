import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a streaming server sends the bridge, as kept in test/fixtures/callers/<caller>/. */
export interface CallerFixture {
  readonly file: string;
  /** Where the request comes from: the documentation it was written from, or "recorded from ...". */
  readonly source: string;
  readonly description: string;
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly headers: Record<string, string>;
    /** A JSON body as an object, a form body as its text. */
    readonly body?: unknown;
  };
  readonly expect: { readonly status: number; readonly body: string };
}

const FOLDER = join(import.meta.dirname, '..', 'fixtures', 'callers');

/** Every caller fixture, `<caller>/<file>` in name order. */
export function callerFixtures(): CallerFixture[] {
  return readdirSync(FOLDER)
    .sort()
    .flatMap((caller) =>
      readdirSync(join(FOLDER, caller))
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => ({
          file: `${caller}/${name}`,
          ...(JSON.parse(readFileSync(join(FOLDER, caller, name), 'utf8')) as Omit<CallerFixture, 'file'>),
        })),
    );
}

/** The body bytes as the streaming server sends them. */
export function bodyText(fixture: CallerFixture): string | undefined {
  const { body } = fixture.request;
  return body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
}
