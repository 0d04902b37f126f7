// Small helpers shared by the benchmark scripts: timing, medians, and the one line format.
import { spawnSync } from 'node:child_process';

/** Median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median with the spread of the rounds: `{ median, min, max }`. */
export function spread(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Median of a ratio taken round by round (each round's pair shares the machine's noise). */
export function pairedRatio(numerators, denominators) {
  return spread(numerators.map((value, i) => value / denominators[i]));
}

/** Wall time of one process run, in ms. */
export function timeProcess(command, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: 'ignore', ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
  return ms;
}

/** Interleaves runs of several commands (so noise hits all alike) and returns each one's samples. */
export function interleavedSamples(commands, runs) {
  const samples = commands.map(() => []);
  for (let i = 0; i < runs; i += 1) {
    commands.forEach(([command, args, options], index) => {
      samples[index].push(timeProcess(command, args, options));
    });
  }
  return samples;
}

/** Interleaves runs of several commands and returns each median. */
export function interleavedMedians(commands, runs) {
  return interleavedSamples(commands, runs).map(median);
}

/**
 * `name: value unit [min-max] (ratio R [min-max] vs baseline, target T) PASS|MISS`. `range` and
 * `ratioRange` are the spread of the rounds behind a median; verdicts are judged on the median.
 */
export function report(name, value, unit, { ratio, target, pass, range, ratioRange } = {}) {
  const span = (r) => (r ? ` [${r[0].toFixed(2)}-${r[1].toFixed(2)}]` : '');
  const parts = [
    `${name}: ${typeof value === 'number' ? value.toFixed(2) : value}${unit ? ` ${unit}` : ''}${span(range)}`,
  ];
  const extra = [];
  if (ratio !== undefined) extra.push(`ratio ${ratio.toFixed(2)}${span(ratioRange)} vs baseline`);
  if (target !== undefined) extra.push(`target ${target}`);
  if (extra.length) parts.push(`(${extra.join(', ')})`);
  if (pass !== undefined) parts.push(pass ? 'PASS' : 'MISS');
  console.log(parts.join(' '));
}
