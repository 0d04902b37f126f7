// `custom-channel init --yes --no-install` wall time (spawned built bin, a fresh folder each
// run), against bare `node -e 0` measured in the same interleaved loop. Target: < 1 s.
// Also the library call `scaffold()` alone, in this process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaffold } from '../dist/scaffold/index.js';
import { median, report, spread, timeProcess } from './lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const root = mkdtempSync(join(tmpdir(), 'bench-init-'));
const bin = join(process.cwd(), 'bin', 'custom-channel.js');
const bare = [];
const init = [];
const library = [];
try {
  for (let i = 0; i < runs; i += 1) {
    bare.push(timeProcess(process.execPath, ['-e', '0']));
    init.push(timeProcess(process.execPath, [bin, 'init', join(root, `cli-${i}`), '--yes', '--no-install']));
    const start = performance.now();
    await scaffold({ dir: join(root, `lib-${i}`), template: 'generic-http' });
    library.push(performance.now() - start);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const baseline = spread(bare);
const wall = spread(init);
report('node -e 0 (baseline)', baseline.median, 'ms', { range: [baseline.min, baseline.max] });
report('custom-channel init --yes --no-install wall time', wall.median, 'ms', {
  range: [wall.min, wall.max],
  ratio: wall.median / baseline.median,
  target: '< 1000 ms',
  pass: wall.median < 1000,
});
report('scaffold() generic-http in process', median(library), 'ms');
