import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configWatch, type ConfigWatch, fileVersion } from '../../src/lifecycle/watch.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-watch-'));
let watch: ConfigWatch | undefined;
afterEach(() => watch?.close());

/** Saves the way editors and deploy tools do: write a new file beside it, then rename it over. */
function save(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

describe('configWatch', () => {
  it('calls once per save while following, a rename over the file included, and follows again after being turned off and on', async () => {
    const file = join(dir, 'bridge.yaml');
    writeFileSync(file, 'listen: 8088\n');
    let calls = 0;
    let changed: () => void = () => undefined;
    watch = configWatch(file, () => {
      calls += 1;
      changed();
    });
    const nextChange = () => new Promise<void>((resolve) => (changed = resolve));

    watch.follow(true);
    watch.follow(true);
    let seen = nextChange();
    save(file, 'listen: 8089\n');
    await seen;
    expect(calls).toBe(1);

    watch.follow(false);
    watch.follow(true);
    seen = nextChange();
    save(file, 'listen: 8090\n');
    await seen;
    expect(calls).toBe(2);
  });

  it('reports a save made between reading the config and the first follow, once', async () => {
    const file = join(dir, 'early.yaml');
    writeFileSync(file, 'listen: 8088\n');
    const read = fileVersion(file);
    save(file, 'listen: 8089\n');
    let calls = 0;
    watch = configWatch(file, () => (calls += 1), read);
    watch.follow(true);
    expect(calls).toBe(1);
    // Turned off and on again (a reload that changes reload.watch): the version is the one seen now.
    watch.follow(false);
    watch.follow(true);
    expect(calls).toBe(1);
  });

  it('reports nothing at the first follow when the file is as it was read', () => {
    const file = join(dir, 'same.yaml');
    writeFileSync(file, 'listen: 8088\n');
    let calls = 0;
    watch = configWatch(file, () => (calls += 1), fileVersion(file));
    watch.follow(true);
    expect(calls).toBe(0);
  });
});

describe('configWatch after a reload', () => {
  it('does not report the save a reload (SIGHUP) already read when that reload turns following on', () => {
    const file = join(dir, 'turned-on.yaml');
    writeFileSync(file, 'reload: {watch: false}\n');
    let calls = 0;
    watch = configWatch(file, () => (calls += 1), fileVersion(file));
    watch.follow(false);
    save(file, 'reload: {watch: true}\n');
    // The reload reads the saved file and puts it in force, following from then on.
    watch.follow(true, fileVersion(file));
    expect(calls).toBe(0);
  });

  it('still reports the next save after a reload read one while following', async () => {
    const file = join(dir, 'following.yaml');
    writeFileSync(file, 'listen: 8088\n');
    let calls = 0;
    let changed: () => void = () => undefined;
    watch = configWatch(
      file,
      () => {
        calls += 1;
        changed();
      },
      fileVersion(file),
    );
    watch.follow(true);
    save(file, 'listen: 8089\n');
    // A SIGHUP reload read it before the watch's own event settled.
    watch.follow(true, fileVersion(file));
    const seen = new Promise<void>((resolve) => (changed = resolve));
    save(file, 'listen: 8090\n');
    await seen;
    expect(calls).toBe(1);
  });
});
