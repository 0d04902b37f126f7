#!/usr/bin/env node
// Thin launcher: the CLI ships as compiled JavaScript in dist/ (run `npm run build` in a checkout).
import { run } from '../dist/cli.js';

// `custom-channel --help | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

run(process.argv);
