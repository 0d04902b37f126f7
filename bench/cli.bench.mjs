// Cold start of `custom-channel --help` as a ratio to bare `node -e 0`, measured in the same
// run with interleaved samples. Target: <= 1.5x.
import { interleavedMedians, report } from './lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 25);
const node = process.execPath;
const [bare, help, validate] = interleavedMedians(
  [
    [node, ['-e', '0']],
    [node, ['bin/custom-channel.js', '--help']],
    [node, ['bin/custom-channel.js', 'validate', 'fixtures/webhook/batch.json']],
  ],
  runs,
);
report('node -e 0 (baseline)', bare, 'ms');
report('custom-channel --help cold start', help, 'ms', {
  ratio: help / bare,
  target: '<= 1.5x',
  pass: help / bare <= 1.5,
});
report('custom-channel validate (one fixture)', validate, 'ms', { ratio: validate / bare });
