/**
 * A sliding-window limiter: at most `limit` starts in any window of `windowMs`. The window is
 * a little longer than respond.io's 1 s (a guard of 20 ms by default) so that jitter between
 * our clock and respond.io's arrival times does not push 21 requests into one of its seconds.
 */
export interface RateLimiterOptions {
  limit: number;
  windowMs: number;
  now?: () => number;
}

export class SlidingWindowLimiter {
  readonly limit: number;
  readonly windowMs: number;
  #now: () => number;
  /** Start times of the last `limit` requests, oldest at `#head` once full. */
  #starts: number[] = [];
  #head = 0;

  constructor(options: RateLimiterOptions) {
    if (!(options.limit >= 1)) throw new RangeError('rate limit must be at least 1 per window');
    this.limit = Math.floor(options.limit);
    this.windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds until another start is allowed (0: now). */
  delay(): number {
    if (this.#starts.length < this.limit) return 0;
    return Math.max(0, this.#starts[this.#head] + this.windowMs - this.#now());
  }

  /** Records a start; call only when `delay()` is 0. */
  take(): void {
    const at = this.#now();
    if (this.#starts.length < this.limit) this.#starts.push(at);
    else {
      this.#starts[this.#head] = at;
      this.#head = (this.#head + 1) % this.limit;
    }
  }
}
