import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, expect, it } from 'vitest';
import { testBridge } from '../../support/bridge.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-users-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Checks in one reload at most: each waits for its answer, so this bounds the loop, not a time. */
const MAX_CHECKS = 5000;

const usersYaml = (logins: readonly string[]) =>
  `users:\n${logins.map((login) => `  - {login: ${login}, token: ${login}-token, maxConnections: 2}`).join('\n')}\n`;

it('answers checks with the previous users while a large users file is read, then serves the new ones', async () => {
  const file = join(dir, 'users.yaml');
  writeFileSync(file, usersYaml(['steady']));
  const bridge = testBridge({ usersFile: file });
  try {
    const check = (token: string) =>
      request(bridge.app).get(`/auth?token=${token}`).set({ 'X-Real-IP': '192.0.2.1', 'X-Session-ID': '1' });
    await check('steady-token').expect(200);
    const logged = (message: string) => bridge.logs.some((line) => line.includes(`"message":"${message}"`));

    const many = Array.from({ length: 3000 }, (_, i) => `viewer${i}`);
    writeFileSync(`${file}.tmp`, usersYaml(['steady', ...many, 'newcomer']));
    renameSync(`${file}.tmp`, file);
    const statuses: number[] = [];
    let answeredWhileReading = 0;
    while (!logged('users file reloaded') && statuses.length < MAX_CHECKS) {
      statuses.push((await check('steady-token')).status);
      if (logged('users file changed, reading it') && !logged('users file reloaded')) answeredWhileReading++;
    }

    expect(logged('users file reloaded')).toBe(true);
    expect(bridge.logs.find((line) => line.includes('users file reloaded'))).toContain('"users":3002');
    // Read on the event loop, the file would have been parsed between two checks: none answered meanwhile.
    expect(answeredWhileReading).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200]));
    await check('newcomer-token').expect(200);
    await check('viewer2999-token').expect(200);
  } finally {
    await bridge.close();
  }
  // The first read starts the reader thread, which in a test process first bundles the sources it loads.
}, 60_000);
