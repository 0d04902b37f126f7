#!/usr/bin/env node
// Runs every bench/*.bench.mjs in its own process, one after another (the machine is small
// and shared: parallel benchmarks would measure each other). Each prints its own
// `name: value (ratio X vs baseline, target T)` lines. `npm run bench -- cli` runs only
// the files whose name contains "cli".
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.mjs'))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();

let crashed = 0;
for (const file of files) {
  process.stdout.write(`\n# ${file}\n`);
  const result = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit', cwd: join(here, '..') });
  if (result.status !== 0) {
    crashed += 1;
    process.stdout.write(`# ${file} exited ${result.status ?? result.signal}\n`);
  }
}
process.stdout.write(`\n${files.length} benchmark file(s) run, ${crashed} crashed\n`);
process.exitCode = crashed > 0 ? 1 : 0;
