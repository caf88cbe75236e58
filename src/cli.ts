#!/usr/bin/env node
// First: from here on a SIGHUP, SIGTERM or SIGINT no longer ends `serve` before it can act on it (see the
// module). Everything else is loaded after it, also in the bundle (dist/cli.js), whose chunks need not keep the
// order of static imports.
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
    if (code === undefined) return;
    process.exitCode = code;
    // A command that failed ends the process, whatever it left open: a serve that could not start (its port taken)
    // stayed alive on its Redis client's reconnecting, listening nowhere, so systemd never started it again. Its
    // words are out: stderr is synchronous, and the log's batch is written on exit.
    if (code !== 0) process.exit(code);
  });
