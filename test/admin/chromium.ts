import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

/**
 * Required, not imported: importing this CommonJS package from ESM has Node scan its megabytes of bundled
 * code for export names first, a third of a second of CPU more than the package takes to load.
 */
const { chromium } = createRequire(import.meta.url)('playwright-core') as typeof import('playwright-core');

export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** The Debian Chromium on a fresh profile, headless and quiet (it asks no one anything); never a downloaded browser. */
export async function launchChromium(
  options: { readonly args?: readonly string[]; readonly viewport?: { width: number; height: number } } = {},
): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'bridge-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...(options.args ?? []),
    ],
    ...(options.viewport === undefined ? {} : { viewport: options.viewport }),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
