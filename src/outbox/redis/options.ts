/** Settings of the Redis outbox, with respond.io's limits as defaults. */
import type { BackoffOptions } from '../backoff.js';
import type { OpenRedisOptions } from './open.js';

export interface RedisOutboxOptions extends OpenRedisOptions {
  /** The respond.io channel: its instances share one queue, one budget and one dedupe memory. */
  channelId: string;
  /** Key prefix (default `custom-channel:{<channelId>}:`; the braces keep a channel on one cluster slot). */
  prefix?: string;
  /** Webhook posts per rolling window, across every instance (default 20, respond.io's limit). */
  rateLimitPerSecond?: number;
  /** The rolling window (default 1,005 ms: 1 s plus a guard, counted from each post's answer). */
  rateWindowMs?: number;
  /** Posts in flight at once from this instance, each to a different contact (default 4). */
  concurrency?: number;
  /** Events of one contact per post (default 10). */
  maxBatch?: number;
  /** A contact being delivered is leased for this long, renewed while in flight (default 5,000 ms). */
  leaseMs?: number;
  backoff?: BackoffOptions;
  /** Pending plus dead events held at most (default 100,000); beyond, enqueue throws OutboxFullError. */
  maxEvents?: number;
  /** How long a (type, mId, status) is remembered for deduplication (default 24 h). */
  dedupeRetentionMs?: number;
  /** A retried event older than this becomes a dead letter (default 48 h). */
  giveUpAfterMs?: number;
  /** A Retry-After above this is capped (default 5 min, as the file outbox). */
  maxRetryAfterMs?: number;
  /** How long `stop()` lets in-flight deliveries finish before aborting them (default 5 s). */
  stopGraceMs?: number;
  /** How often an idle instance looks for work queued by the others (default 100 ms). */
  idlePollMs?: number;
  now?: () => number;
  random?: () => number;
}

export type ResolvedRedisOptions = Required<
  Omit<RedisOutboxOptions, 'url' | 'redis' | 'backoff' | 'onWarning' | 'allowVolatile'>
> & { backoff: BackoffOptions };

export function redisDefaults(options: RedisOutboxOptions): ResolvedRedisOptions {
  return {
    channelId: options.channelId,
    prefix: options.prefix ?? `custom-channel:{${options.channelId}}:`,
    rateLimitPerSecond: options.rateLimitPerSecond ?? 20,
    rateWindowMs: options.rateWindowMs ?? 1005,
    concurrency: options.concurrency ?? 4,
    maxBatch: options.maxBatch ?? 10,
    leaseMs: options.leaseMs ?? 5000,
    backoff: options.backoff ?? {},
    maxEvents: options.maxEvents ?? 100_000,
    dedupeRetentionMs: options.dedupeRetentionMs ?? 24 * 3600_000,
    giveUpAfterMs: options.giveUpAfterMs ?? 48 * 3600_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 5 * 60_000,
    stopGraceMs: options.stopGraceMs ?? 5000,
    idlePollMs: options.idlePollMs ?? 100,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
  };
}
