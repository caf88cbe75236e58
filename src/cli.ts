#!/usr/bin/env node
// First: from here on a SIGHUP, SIGTERM or SIGINT no longer ends `serve` before it can act on it (see the module). Everything else is loaded after it, also in
// the bundle (dist/cli.js), whose chunks need not keep the order of static imports.
import { releaseSignals } from './lifecycle/hangups.js';

// A reader that goes away (`--help | head -1`) is no error worth a stack trace.
process.stdout.on('error', () => undefined);

void import('./commands/commandLine.js')
  .then(({ runCommandLine }) =>
    runCommandLine(process.argv.slice(2), {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      // Only `serve` outlives a closed terminal and drains on a stop: every other command ends on signals as usual.
      starting: (command) => {
        if (command !== 'serve') releaseSignals();
      },
    }),
  )
  .then((code) => {
    if (code !== undefined) process.exitCode = code;
  });
