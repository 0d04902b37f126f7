/**
 * At most `limit` requests per window, counted the way the receiver counts them. A request
 * holds its slot while in flight and, once answered, from its *answer* time: respond.io
 * counted the request before it answered, so a request started `windowMs` after that answer
 * reaches respond.io at least `windowMs` after the one it replaces, however late our event
 * loop put the earlier one on the wire and however long the network took. (Counting from the
 * start time instead let 21 requests land in one of respond.io's seconds when the bridge was
 * busy.) The window's few extra milliseconds cover our millisecond clock's rounding.
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
  /** One per slot: when its last request was answered, or Infinity while in flight. */
  #slots: number[] = [];

  constructor(options: RateLimiterOptions) {
    if (!(options.limit >= 1)) throw new RangeError('rate limit must be at least 1 per window');
    this.limit = Math.floor(options.limit);
    this.windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
  }

  #oldest(): number {
    let index = 0;
    for (let i = 1; i < this.#slots.length; i += 1) if (this.#slots[i] < this.#slots[index]) index = i;
    return index;
  }

  /**
   * Milliseconds until another request may start: 0 now, `Infinity` when every slot is in
   * flight (the next `complete()` tells).
   */
  delay(): number {
    if (this.#slots.length < this.limit) return 0;
    return Math.max(0, this.#slots[this.#oldest()] + this.windowMs - this.#now());
  }

  /** Takes a slot (call only when `delay()` is 0); pass the returned slot to `complete`. */
  take(): number {
    if (this.#slots.length < this.limit) return this.#slots.push(Number.POSITIVE_INFINITY) - 1;
    const slot = this.#oldest();
    this.#slots[slot] = Number.POSITIVE_INFINITY;
    return slot;
  }

  /** The request of `slot` was answered (or failed) now. */
  complete(slot: number): void {
    this.#slots[slot] = this.#now();
  }
}
