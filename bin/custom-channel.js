#!/usr/bin/env node
// Thin launcher: the CLI ships as compiled JavaScript in dist/ (run `npm run build` in a checkout).
import module from 'node:module';

// Node 22.1+: V8 keeps compiled code of our modules and dependencies on disk (in the temp
// folder, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so a command's
// later runs start faster. Enabled before the CLI is imported, so it covers the CLI too.
module.enableCompileCache?.();

// `custom-channel --help | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const { run } = await import('../dist/cli.js');
run(process.argv);
