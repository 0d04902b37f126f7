#!/usr/bin/env node
// Thin launcher: the CLI ships as compiled JavaScript in dist/ (run `npm run build` in a checkout).
import { run } from '../dist/cli.js';

run(process.argv);
