import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionRow } from '../../src/sessions/types.js';
import { openSqlite } from '../../src/stats/sqliteStore.js';
import { builtModule } from '../support/built.js';

const folders: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'iab-stats-'));
  folders.push(dir);
  return join(dir, 'nested', 'folder', 'stats.db');
}
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const row = (id: string, changes: Partial<SessionRow> = {}): SessionRow => ({
  id,
  route: 'default',
  protocol: 'cesbo',
  caller: '127.0.0.1',
  session: id,
  user: 'alice',
  channel: 'a001',
  ip: '203.0.113.7',
  userAgent: 'VLC',
  firstSeen: 1000,
  lastSeen: 2000,
  decision: 'allow',
  by: 'backend',
  allowed: true,
  ...changes,
});

describe('SQLite statistics store', () => {
  it('creates the file and its folder, and keeps what it wrote across a restart', async () => {
    const path = tempFile();
    const first = openSqlite(path);
    await first.write([row('a'), row('b', { allowed: false })]);
    await first.write([row('a', { lastSeen: 9000, endedAt: 9000, endReason: 'idle' })]);
    await first.close();
    expect(existsSync(path)).toBe(true);

    const again = openSqlite(path);
    expect(await again.spans(0, 100_000)).toEqual([
      {
        route: 'default',
        channel: 'a001',
        user: 'alice',
        ip: '203.0.113.7',
        session: 'a',
        firstSeen: 1000,
        lastSeen: 9000,
        endedAt: 9000,
        endReason: 'idle',
      },
    ]);
    await again.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: 1 }]);
    raw.close();
  });

  it('creates the file, its -wal and its folder for the service user alone, whatever the umask', async () => {
    const path = tempFile();
    const was = process.umask(0o022);
    try {
      const store = openSqlite(path);
      await store.write([row('a')]);
      const mode = (file: string) => statSync(file).mode & 0o777;
      expect([mode(path), mode(`${path}-wal`), mode(dirname(path))]).toEqual([0o600, 0o600, 0o700]);
      await store.close();
    } finally {
      process.umask(was);
    }
  });

  it('returns only the sessions overlapping the window, and deletes the old ones', async () => {
    const db = openSqlite(tempFile());
    await db.write([
      row('early', { firstSeen: 0, lastSeen: 100 }),
      row('inside', { firstSeen: 500, lastSeen: 600 }),
      row('open', { firstSeen: 50, lastSeen: 800 }),
    ]);
    expect((await db.spans(200, 1000)).map((s) => s.session).sort()).toEqual(['inside', 'open']);
    expect(await db.deleteBefore(700)).toBe(2);
    expect((await db.spans(0, 1000)).map((s) => s.session)).toEqual(['open']);
    await db.close();
  });

  it('reads a long period a page at a time, every session once', async () => {
    const db = openSqlite(tempFile());
    await db.write(Array.from({ length: 12_345 }, (_, i) => row(`p${i}`)));
    const spans = await db.spans(0, 10_000);
    expect(spans).toHaveLength(12_345);
    expect(new Set(spans.map((s) => s.session)).size).toBe(12_345);
    await db.close();
  });

  it('a read-only open (the stats command) never creates a file', () => {
    const path = tempFile();
    expect(() => openSqlite(path, { readonly: true })).toThrow();
    expect(existsSync(path)).toBe(false);
  });

  it('several bridge processes starting at once on a new file create and migrate it once', async () => {
    const path = tempFile();
    const script = join(import.meta.dirname, 'support', 'openStore.mjs');
    const store = builtModule('stats/sqliteStore.ts');
    const codes = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<number | null>((resolve) => {
            const child = spawn(process.execPath, [script, store, path], { stdio: 'inherit' });
            child.once('exit', resolve);
          }),
      ),
    );
    expect(codes).toEqual([0, 0, 0, 0]);
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: 1 }]);
    raw.close();
  }, 60_000);

  it('a writer killed with SIGKILL mid-batch loses no committed batch and leaves no half batch', async () => {
    const path = tempFile();
    openSqlite(path).close();
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'support', 'crashingWriter.mjs'), builtModule('stats/sqliteStore.ts'), path],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let committed = 0;
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const numbers = [...chunk.toString().matchAll(/committed (\d+)/g)].map((m) => Number(m[1]));
        committed = Math.max(committed, ...numbers);
        if (committed >= 5) resolve();
      });
      child.once('exit', () => reject(new Error(`writer exited early: ${errors}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const raw = new Database(path, { readonly: true });
    const { count } = raw.prepare('SELECT COUNT(*) AS count FROM viewing_sessions').get() as { count: number };
    const batches = raw
      .prepare("SELECT DISTINCT substr(id, 1, instr(id, '-') - 1) AS batch FROM viewing_sessions")
      .all().length;
    raw.close();
    expect(count).toBeGreaterThanOrEqual(committed * 1000);
    expect(count).toBe(batches * 1000);
  });
});
