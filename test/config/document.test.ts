import { describe, expect, it } from 'vitest';
import { ConfigError, parseSettingsText } from '../../src/config/document.js';

function problemsOf(text: string): readonly string[] {
  try {
    parseSettingsText(text, 'bridge.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseSettingsText', () => {
  it('refuses a second YAML document, whose settings (a deny rule, say) would be read by no one', () => {
    const text = 'routes: {default: {default: allow}}\n---\n# site overrides\nipRules: [deny 203.0.113.0/24]\n';
    expect(problemsOf(text)).toEqual([
      '(file): holds a second YAML document (from line 2, after a "---" line): everything in it would be ignored; put all settings in one document',
    ]);
    expect(problemsOf('- {login: a, token: A}\n---\n- {login: b, token: B}\n')).toHaveLength(1);
  });

  it('reads one document, also with a leading "---" or an empty one after it', () => {
    expect(parseSettingsText('---\nlisten: 127.0.0.1:8088\n', 'bridge.yaml')).toEqual({ listen: '127.0.0.1:8088' });
    expect(parseSettingsText('listen: 127.0.0.1:8088\n---\n', 'bridge.yaml')).toEqual({ listen: '127.0.0.1:8088' });
    expect(parseSettingsText('listen: 127.0.0.1:8088\n...\n', 'bridge.yaml')).toEqual({ listen: '127.0.0.1:8088' });
    expect(parseSettingsText('', 'bridge.yaml')).toBeNull();
  });

  it('names a key given twice and where, in YAML and JSON, plain or quoted, at any depth', () => {
    expect(problemsOf('listen: 1\nlisten: 2\n')).toEqual([
      '(file): cannot parse: the key "listen" is given twice (again at line 2, column 1)',
    ]);
    expect(problemsOf('cache:\n  allowTtl: 1\n  allowTtl: 2\n')).toEqual([
      '(file): cannot parse: the key "allowTtl" is given twice (again at line 3, column 3)',
    ]);
    expect(problemsOf('{"listen": 1, "listen": 2}')).toEqual([
      '(file): cannot parse: the key "listen" is given twice (again at line 1, column 15)',
    ]);
    expect(problemsOf("users:\n  - login: anna\n    'login': bob\n")).toEqual([
      '(file): cannot parse: the key "login" is given twice (again at line 3, column 5)',
    ]);
  });

  it('never quotes a value: a duplicate token names the key, not the token', () => {
    const problems = problemsOf('users:\n  - login: anna\n    token: tok-SECRET-1\n    token: tok-SECRET-2\n');
    expect(problems).toEqual(['(file): cannot parse: the key "token" is given twice (again at line 4, column 5)']);
    expect(problems.join('\n')).not.toContain('SECRET');
  });

  it('reads a file that parses', () => {
    expect(parseSettingsText('listen: 127.0.0.1:8088\ncache: {allowTtl: 5}\n', 'bridge.yaml')).toEqual({
      listen: '127.0.0.1:8088',
      cache: { allowTtl: 5 },
    });
  });
});
