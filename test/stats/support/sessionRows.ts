import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { SessionRow } from '../../../src/sessions/types.js';

/** A session row as the tracker hands it to the statistics writer; `fields` set what a test reads. */
export function sessionRow(id: string, fields: Partial<SessionRow> = {}): SessionRow {
  return {
    id,
    route: 'default',
    protocol: 'cesbo',
    session: id,
    firstSeen: 1000,
    lastSeen: 2000,
    decision: 'allow',
    by: 'backend',
    allowed: true,
    ...fields,
  };
}

/** Temporary folders for a test file's statistics files, each removed after its test. */
export function useTempFolders(prefix: string): () => string {
  const folders: string[] = [];
  afterEach(() => {
    for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    folders.push(dir);
    return dir;
  };
}
