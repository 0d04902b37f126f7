/** Retry timing for deliveries to respond.io: exponential backoff with jitter, and `Retry-After`. */

export interface BackoffOptions {
  /** First retry after about this long (default 500 ms). */
  baseMs?: number;
  /** Never wait longer than this between attempts (default 60 s). */
  maxMs?: number;
}

/**
 * "Equal jitter": half the exponential step, plus a random share of the other half, so
 * retries of many events spread out instead of arriving together.
 * @example backoffDelay(3, { baseMs: 500 }) // between 1000 and 2000
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 60_000;
  const step = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/**
 * A `Retry-After` header in milliseconds: delta-seconds or an HTTP date; `undefined` when absent or unreadable.
 * @example parseRetryAfter('2', Date.now()) // 2000
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
