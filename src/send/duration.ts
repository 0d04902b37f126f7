/** Durations on the command line: `3s`, `500ms`, `1.5s`, `2m`; a bare number is milliseconds. */
import { usageError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/**
 * @example parseDuration('3s') // 3000
 * @example parseDuration('500ms', '--timeout') // 500
 */
export function parseDuration(
  text: string,
  flag = '--timeout',
  range: { minMs?: number; maxMs?: number } = DEFAULT_RANGE,
): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!match) {
    throw usageError(`${flag} ${JSON.stringify(text)}: not a duration`, 'use e.g. 3s, 500ms or 2m');
  }
  const ms = Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']);
  const { minMs = 0, maxMs = Number.POSITIVE_INFINITY } = range;
  if (ms < minMs || ms > maxMs) {
    throw usageError(
      `${flag} ${text}: out of range (${formatLimit(minMs)} to ${formatLimit(maxMs)})`,
      `e.g. ${flag} ${formatLimit(Math.min(Math.max(3000, minMs), maxMs))}`,
    );
  }
  return ms;
}

/** Timeouts: at least 1 ms, at most 30 minutes. */
const DEFAULT_RANGE = { minMs: 1, maxMs: 30 * 60_000 };

function formatLimit(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `1234` -> `1.23 s`, `12.3` -> `12 ms`. */
export function formatDuration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.round(ms)} ms`;
}
