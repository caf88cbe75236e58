import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, VERSION } from '../src/packageRoot.js';

describe('the package root', () => {
  it('is the folder of the bridge package.json, found from src/ as from a bundle chunk', () => {
    expect(PACKAGE_ROOT).toBe(join(import.meta.dirname, '..'));
    const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(manifest.version);
  });
});
