import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { SessionRow } from '../../src/sessions/types.js';
import { openSqlite } from '../../src/stats/sqliteStore.js';
import { SqliteWriterThread } from '../../src/stats/sqliteThread.js';
import { builtModule } from '../support/built.js';
import { sessionRow, useTempFolders } from './support/sessionRows.js';

const tempFolder = useTempFolders('iab-thread-');
function tempFile(): string {
  return join(tempFolder(), 'stats.db');
}

const row = (id: string, lastSeen = 2000): SessionRow => sessionRow(id, { lastSeen, user: 'alice', channel: 'a001' });

/** A file the bridge created and migrated, as `serve` leaves it before the first write. */
function migratedFile(): string {
  const path = tempFile();
  openSqlite(path).close();
  return path;
}

function lastSeenOf(path: string): Record<string, number> {
  const raw = new Database(path, { readonly: true });
  const rows = raw.prepare('SELECT id, last_seen FROM viewing_sessions').all() as { id: string; last_seen: number }[];
  raw.close();
  return Object.fromEntries(rows.map((r) => [r.id, r.last_seen]));
}

/** Runs `script` in a process of its own, with `thread` a writer thread on `path`; resolves with its exit code and output. */
async function runWithThread(path: string, script: string): Promise<{ code: number | null; stdout: string }> {
  const source = `import { SqliteWriterThread } from ${JSON.stringify(builtModule('stats/sqliteThread.ts'))};
    const thread = new SqliteWriterThread(${JSON.stringify(path)});
    ${script}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout };
}

describe('SQLite writer thread', () => {
  it('writes a large batch while the event loop goes on turning', async () => {
    const path = migratedFile();
    const thread = new SqliteWriterThread(path);
    let turns = 0;
    let written = false;
    const turn = () => {
      turns++;
      if (!written) setImmediate(turn);
    };
    setImmediate(turn);
    await thread.write(Array.from({ length: 20_000 }, (_, i) => row(`s${i}`)));
    written = true;
    // On the event loop the whole transaction ran inside write(): not one turn passed before it resolved.
    expect(turns).toBeGreaterThan(1);
    await thread.close();
    expect(Object.keys(lastSeenOf(path))).toHaveLength(20_000);
  });

  it('commits requests in the order they were made, each in its own transaction', async () => {
    const path = migratedFile();
    const thread = new SqliteWriterThread(path);
    await Promise.all([
      thread.write([row('a', 2000), row('b', 2000)]),
      thread.write([row('a', 5000)]),
      thread.write([row('c', 100)]),
    ]);
    expect(await thread.deleteBefore(1000)).toBe(1);
    await thread.close();
    expect(lastSeenOf(path)).toEqual({ a: 5000, b: 2000 });
  });

  it("fails a request with SQLite's own message, and the next request starts the thread afresh", async () => {
    const path = tempFile();
    const thread = new SqliteWriterThread(path);
    await expect(thread.write([row('a')])).rejects.toThrow(/unable to open database file/);
    openSqlite(path).close();
    await thread.write([row('a')]);
    await thread.close();
    expect(lastSeenOf(path)).toEqual({ a: 2000 });
  });

  it('does not keep a process alive once nothing waits on it', async () => {
    const path = migratedFile();
    // Never closed: the process ends by itself once the write resolved, with the row committed.
    const script = `await thread.write([${JSON.stringify(row('left-open'))}]); process.stdout.write('written');`;
    expect(await runWithThread(path, script)).toEqual({ code: 0, stdout: 'written' });
    expect(lastSeenOf(path)).toEqual({ 'left-open': 2000 });
  }, 30_000);

  it('holds a stopping process until the file is let go, and the code after close() runs', async () => {
    const path = migratedFile();
    const script = `await thread.write([${JSON.stringify(row('closed'))}]); await thread.close(); process.stdout.write('closed');`;
    expect(await runWithThread(path, script)).toEqual({ code: 0, stdout: 'closed' });
    expect(lastSeenOf(path)).toEqual({ closed: 2000 });
  }, 30_000);
});
