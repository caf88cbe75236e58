import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The contributor's pages name the files a newcomer opens and touches: a file renamed or removed
 * without the page changing is a checklist that sends them nowhere. Every path they cite from the
 * repository's root (`src/…`, `test/…`, `scripts/…`) must exist, and every shorter module name
 * (`steps/cache.ts`, `callers.ts`) must be the end of a file's path. Paths with a `<placeholder>` or
 * a `*` are patterns, not files.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const PAGES = ['CONTRIBUTING.md', 'docs/architecture.md'];
const ROOTED_PATH = /(?<![\w./-])(?:src|test|scripts|bench)\/[\w.<>*/-]*[\w/]/g;
const MODULE_NAME = /(?<![\w./<>-])[\w./-]*\w\.(?:ts|json)\b/g;

const CODE_FILES = [
  ...readdirSync(ROOT),
  ...['src', 'test', 'scripts', 'bench'].flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' }).map((file) => `${folder}/${file}`),
  ),
];

function cited(page: string, pattern: RegExp): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  return [...new Set(text.match(pattern) ?? [])].filter((path) => !/[<*]/.test(path));
}

describe.each(PAGES)('%s', (page) => {
  it('cites only files and folders that exist', () => {
    const paths = cited(page, ROOTED_PATH);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('names only modules some file is', () => {
    const names = cited(page, MODULE_NAME).filter((name) => !/^(src|test|scripts|bench)\//.test(name));
    expect(names.length).toBeGreaterThan(0);
    const exists = (name: string) => CODE_FILES.some((file) => file === name || file.endsWith(`/${name}`));
    expect(names.filter((name) => !exists(name))).toEqual([]);
  });
});
