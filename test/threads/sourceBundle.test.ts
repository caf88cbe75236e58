import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { threadModuleUrl } from '../../src/threads/sourceBundle.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');

describe('threadModuleUrl', () => {
  it('hands back a JavaScript module (a bundle chunk in dist/) as it is', () => {
    const chunk = pathToFileURL(join(SRC, '..', 'dist', 'chunks', 'chunk-X.js')).href;
    expect(threadModuleUrl(chunk)).toBe(chunk);
  });

  it('bundles a TypeScript source once per process into a module plain node imports', async () => {
    const source = pathToFileURL(join(SRC, 'memo.ts')).href;
    const bundle = threadModuleUrl(source);
    expect(bundle).toMatch(/\/node_modules\/\.cache\/bridge-thread-modules\/\d+\/src\/memo\.mjs$/);
    expect(existsSync(fileURLToPath(bundle))).toBe(true);
    expect(threadModuleUrl(source)).toBe(bundle);
    const { boundedMemo } = (await import(bundle)) as typeof import('../../src/memo.js');
    const memo = boundedMemo((input) => input.length, 2);
    expect(memo('four')).toBe(4);
  });
});
