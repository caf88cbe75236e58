import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { LocalUser } from '../../../src/config/policySchema.js';
import type { UserSet } from '../../../src/config/usersFile.js';
import { readUsersFileInThread } from '../../../src/policies/users/fileThread.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-users-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const main: UserSet = {
  users: [{ login: 'boss', token: 'boss-token', enabled: true, maxConnections: undefined }],
  packages: { basic: ['a001'] },
};

function usersFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Reads `file` in the reader thread, collecting the parts it hands back. */
async function read(file: string, lastSeen = '') {
  const parts: (readonly LocalUser[])[] = [];
  const outcome = await readUsersFileInThread({ file, main, env: { TOKEN: 'from-env' }, lastSeen }, (part) =>
    parts.push(part),
  );
  return { outcome, parts };
}

describe('readUsersFileInThread', () => {
  it('parses and validates in a worker thread and hands the users back a slice at a time', async () => {
    const lines = Array.from({ length: 2001 }, (_, i) => `  - {login: user${i}, token: tok${i}, packages: [basic]}`);
    const file = usersFile('many.yaml', `users:\n${lines.join('\n')}\n  - {login: env, token: "\${TOKEN}"}\n`);
    const { outcome, parts } = await read(file);
    expect(outcome).toMatchObject({ kind: 'users', count: 2002, packages: { basic: ['a001'] } });
    expect(outcome.kind === 'users' && outcome.thread).not.toBe(threadId);
    expect(parts.map((part) => part.length)).toEqual([2000, 2]);
    const users = parts.flat();
    // The main config's users stay with the caller: only the file's own cross back.
    expect(users.map((user) => user.login)).not.toContain('boss');
    expect(users[2000]).toEqual({ login: 'user2000', token: 'tok2000', packages: ['basic'], enabled: true });
    expect(users[2001]!.token).toBe('from-env');
    // The first read starts the reader thread, which in a test process first bundles the sources it loads.
  }, 60_000);

  it('answers unchanged for the file it last saw, and reads it again once it changed', async () => {
    const file = usersFile('same.yaml', '- {login: anna, token: anna-1}\n');
    const first = await read(file);
    expect((await read(file, first.outcome.seen)).outcome).toEqual({ kind: 'unchanged', seen: first.outcome.seen });
    writeFileSync(file, '- {login: anna, token: anna-2}\n');
    const next = await read(file, first.outcome.seen);
    expect(next.outcome.kind).toBe('users');
    expect(next.parts.flat()[0]!.token).toBe('anna-2');
  });

  it.each([
    ['clash.yaml', '- {login: boss, token: other}\n', 'users[0].login: "boss" is also a user in the main config'],
    ['broken.yaml', 'users: [ {login: a\n', '(file): cannot parse'],
    ['empty.yaml', '', '(file): is empty'],
  ])('names what is wrong with %s, passing no users', async (name, text, problem) => {
    const { outcome, parts } = await read(usersFile(name, text));
    expect(outcome.kind).toBe('invalid');
    expect(outcome.kind === 'invalid' && outcome.problems.join('\n')).toContain(problem);
    expect(parts).toEqual([]);
  });

  it('says a missing file cannot be read, once: the same problem again is unchanged', async () => {
    const { outcome } = await read(join(dir, 'missing.yaml'));
    expect(outcome).toEqual({ kind: 'invalid', seen: '(file): cannot read (ENOENT)', problems: [outcome.seen] });
    expect((await read(join(dir, 'missing.yaml'), outcome.seen)).outcome.kind).toBe('unchanged');
  });
});
