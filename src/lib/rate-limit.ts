/**
 * A sliding-window rate limiter per key (a sliding log): at most `limit` hits accepted in any
 * window of `windowMs`, whatever their alignment. A fixed window would let 2x the limit through
 * around a boundary, and respond.io's "20 requests per second" is tested as "in any second".
 */

export interface RateLimitOptions {
  /** Hits allowed in any window. */
  limit: number;
  /** Window length in ms (default 1000). */
  windowMs?: number;
  /** Injected clock, epoch ms. */
  now?: () => number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Hits still allowed in the current window after this one. */
  remaining: number;
  /** When refused: ms until a hit would be accepted (0 when allowed). */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Records a hit for `key` when allowed, and says whether it was. */
  take(key: string): RateLimitDecision;
  /** What `take` would answer, without recording a hit. */
  peek(key: string): RateLimitDecision;
  reset(key?: string): void;
}

/**
 * Builds a sliding-window limiter.
 * @example const limiter = buildRateLimiter({ limit: 20 }); if (!limiter.take(channelId).allowed) reply429()
 */
export function buildRateLimiter(options: RateLimitOptions): RateLimiter {
  const limit = Math.max(1, Math.floor(options.limit));
  const windowMs = options.windowMs ?? 1000;
  const now = options.now ?? Date.now;
  // Accepted hit times per key, oldest first; never longer than `limit`.
  const logs = new Map<string, number[]>();

  function prune(key: string, at: number): number[] {
    let log = logs.get(key);
    if (!log) {
      log = [];
      logs.set(key, log);
    }
    let drop = 0;
    while (drop < log.length && log[drop] <= at - windowMs) drop++;
    if (drop > 0) log.splice(0, drop);
    return log;
  }

  function decide(key: string, record: boolean): RateLimitDecision {
    const at = now();
    const log = prune(key, at);
    if (log.length < limit) {
      if (record) log.push(at);
      return { allowed: true, limit, remaining: limit - log.length, retryAfterMs: 0 };
    }
    return { allowed: false, limit, remaining: 0, retryAfterMs: Math.max(1, log[0] + windowMs - at) };
  }

  return {
    take: (key) => decide(key, true),
    peek: (key) => decide(key, false),
    reset(key) {
      if (key === undefined) logs.clear();
      else logs.delete(key);
    },
  };
}
