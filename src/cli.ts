#!/usr/bin/env node
// First: from here on a SIGHUP no longer ends `serve` (see the module). Everything else is loaded after it, also in
// the bundle (dist/cli.js), whose chunks need not keep the order of static imports.
import { releaseHangups } from './lifecycle/hangups.js';

// A reader that goes away (`--help | head -1`) is no error worth a stack trace.
process.stdout.on('error', () => undefined);

void import('./commands/commandLine.js')
  .then(({ runCommandLine }) =>
    runCommandLine(process.argv.slice(2), {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      // Only `serve` outlives a closed terminal: every other command ends on SIGHUP as usual.
      starting: (command) => {
        if (command !== 'serve') releaseHangups();
      },
    }),
  )
  .then((code) => {
    if (code !== undefined) process.exitCode = code;
  });
