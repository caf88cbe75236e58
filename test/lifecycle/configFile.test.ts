import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { readConfigFile } from '../../src/lifecycle/configFile.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-config-file-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readConfigFile', () => {
  it('gives the validated config and the sha256 of the text read, as sha256sum prints it', () => {
    const text = 'listen: 127.0.0.1:9001\n';
    const loaded = readConfigFile(file('a.yaml', text), {});
    expect(loaded.config.listen.port).toBe(9001);
    expect(loaded.digest).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('reads an empty file as every default at start, but refuses it for a reload', () => {
    const empty = file('empty.yaml', '# nothing yet\n');
    expect(readConfigFile(empty, {}).config.routes).toHaveProperty('default');
    expect(() => readConfigFile(empty, {}, { refuseEmpty: true })).toThrow(ConfigError);
    expect(() => readConfigFile(empty, {}, { refuseEmpty: true })).toThrow('(file): is empty');
  });

  it('reports problems naming their keys, and an unreadable file', () => {
    expect(() => readConfigFile(file('bad.yaml', 'cache: {allowTtl: -1}\n'), {})).toThrow(/cache\.allowTtl/);
    expect(() => readConfigFile(join(dir, 'missing.yaml'), {})).toThrow('(file): cannot read (ENOENT)');
  });
});
