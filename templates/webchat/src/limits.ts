/**
 * Per-visitor rate limits: a token bucket per visitor and kind of request, so one visitor (or a
 * script with a stolen token) cannot flood respond.io, whose Custom Channel limit is shared.
 */
export interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  /** `perMinute` requests a minute on average, bursts of up to `burst`. */
  constructor(
    readonly perMinute: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 when allowed (and counted); otherwise the seconds to wait. */
  take(key: string, now = this.now()): number {
    const refill = this.perMinute / 60_000;
    const bucket = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * refill);
    bucket.at = now;
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    // Bounded: the least recently seen visitors are forgotten first (they start with a full bucket).
    if (this.#buckets.size > 50_000) this.#buckets.delete(this.#buckets.keys().next().value as string);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / refill / 1000));
  }
}
