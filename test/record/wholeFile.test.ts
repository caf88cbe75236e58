import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskFiles, writeWholeFile, type RecordFiles } from '../../src/record/wholeFile.js';

const freshDir = () => mkdtempSync(join(tmpdir(), 'record-whole-'));
const diskFull = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('writeWholeFile', () => {
  it('writes the file whole under its name, nothing else left in the folder', async () => {
    const dir = freshDir();
    await writeWholeFile(dir, 'a.json', '{"a":1}\n', diskFiles);
    expect(readdirSync(dir)).toEqual(['a.json']);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{"a":1}\n');
  });

  it('a write cut off by a full disk leaves nothing behind, and rejects with the disk’s error', async () => {
    const dir = freshDir();
    // As a full disk does: the file is created, part of the text lands, then the write fails.
    const full: RecordFiles = {
      ...diskFiles,
      writeNew: async (path, text) => {
        writeFileSync(path, text.slice(0, 3), { flag: 'wx' });
        throw diskFull();
      },
    };
    await expect(writeWholeFile(dir, 'a.json', '{"a":1}\n', full)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a failed rename leaves nothing either', async () => {
    const dir = freshDir();
    const stuck: RecordFiles = {
      ...diskFiles,
      rename: async () => {
        throw Object.assign(new Error('EIO'), { code: 'EIO' });
      },
    };
    await expect(writeWholeFile(dir, 'a.json', 'x', stuck)).rejects.toMatchObject({ code: 'EIO' });
    expect(readdirSync(dir)).toEqual([]);
  });
});
