// Cold start of `custom-channel --help` as a ratio to bare `node -e 0`, measured in the same
// run with interleaved samples. Target: <= 1.5x.
import { interleavedSamples, pairedRatio, report, spread } from './lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 25);
const node = process.execPath;
const [bareRuns, helpRuns, validateRuns] = interleavedSamples(
  [
    [node, ['-e', '0']],
    [node, ['bin/custom-channel.js', '--help']],
    [node, ['bin/custom-channel.js', 'validate', 'fixtures/webhook/batch.json']],
  ],
  runs,
);
const bare = spread(bareRuns);
const help = spread(helpRuns);
const helpRatio = pairedRatio(helpRuns, bareRuns);
const validate = spread(validateRuns);
const validateRatio = pairedRatio(validateRuns, bareRuns);
const range = (s) => [s.min, s.max];
report('node -e 0 (baseline)', bare.median, 'ms', { range: range(bare) });
report('custom-channel --help cold start', help.median, 'ms', {
  range: range(help),
  ratio: helpRatio.median,
  ratioRange: range(helpRatio),
  target: '<= 1.5x',
  pass: helpRatio.median <= 1.5,
});
report('custom-channel validate (one fixture)', validate.median, 'ms', {
  range: range(validate),
  ratio: validateRatio.median,
  ratioRange: range(validateRatio),
});
