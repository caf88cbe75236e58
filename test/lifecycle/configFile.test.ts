import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/document.js';
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

  it('refuses an empty file, or one of only comments, at start as on a reload; {} is every default', () => {
    for (const empty of [file('empty.yaml', ''), file('comments.yaml', '# nothing yet\n')]) {
      expect(() => readConfigFile(empty, {})).toThrow(ConfigError);
      expect(() => readConfigFile(empty, {})).toThrow(
        '(file): is empty (every default would deny every check; write {} to mean every default)',
      );
    }
    expect(readConfigFile(file('braces.yaml', '{}\n'), {}).config.routes).toHaveProperty('default');
  });

  it('reports problems naming their keys, and an unreadable file', () => {
    expect(() => readConfigFile(file('bad.yaml', 'cache: {allowTtl: -1}\n'), {})).toThrow(/cache\.allowTtl/);
    expect(() => readConfigFile(join(dir, 'missing.yaml'), {})).toThrow('(file): cannot read (ENOENT)');
  });
});
