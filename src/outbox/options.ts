/** Settings of the file outbox, with respond.io's limits as defaults. */
import type { BackoffOptions } from './backoff.js';

export interface FileOutboxOptions {
  /** Folder of the journal, e.g. `.custom-channel/outbox`. */
  dir: string;
  /** Requests per window to respond.io (default 20, respond.io's limit for a Custom Channel). */
  rateLimitPerSecond?: number;
  /** The rate window (default 1,005 ms: 1 s plus a guard for clock rounding; see rate-limiter.ts). */
  rateWindowMs?: number;
  /** Deliveries in flight at once, each to a different contact (default 4). */
  concurrency?: number;
  backoff?: BackoffOptions;
  /** Pending plus dead events held at most; beyond, `enqueue` throws `OutboxFullError` (default 100,000). */
  maxEvents?: number;
  /** Keys remembered for deduplication (default 100,000). */
  dedupeWindow?: number;
  /** A retried event older than this becomes a dead letter (default 48 h). */
  giveUpAfterMs?: number;
  /** Journal records before a compaction is considered (default 20,000). */
  compactAfter?: number;
  /** Events of one contact in one webhook post at most (default 10; respond.io documents no limit). */
  maxBatch?: number;
  /** A `Retry-After` longer than this is cut to it (default 5 minutes), with one warning. */
  maxRetryAfterMs?: number;
  /** Told once per kind of trouble worth an operator's attention (e.g. an absurd Retry-After). */
  warn?: (message: string) => void;
  /** How long `stop()` lets in-flight deliveries finish before aborting them (default 5 s). */
  stopGraceMs?: number;
  /** Read without taking the lock (inspection while a bridge runs); writes are refused. */
  readOnly?: boolean;
  now?: () => number;
  random?: () => number;
}

export type ResolvedOptions = Required<Omit<FileOutboxOptions, 'backoff' | 'readOnly'>> & { backoff: BackoffOptions };

/** Body bytes of one batched post at most (the emulator's default body limit is 1 MiB). */
export const MAX_BATCH_BYTES = 512 * 1024;

export function withDefaults(options: FileOutboxOptions): ResolvedOptions {
  return {
    dir: options.dir,
    rateLimitPerSecond: options.rateLimitPerSecond ?? 20,
    rateWindowMs: options.rateWindowMs ?? 1005,
    concurrency: options.concurrency ?? 4,
    backoff: options.backoff ?? {},
    maxEvents: options.maxEvents ?? 100_000,
    dedupeWindow: options.dedupeWindow ?? 100_000,
    giveUpAfterMs: options.giveUpAfterMs ?? 48 * 3600_000,
    compactAfter: options.compactAfter ?? 20_000,
    stopGraceMs: options.stopGraceMs ?? 5000,
    maxBatch: Math.max(1, Math.floor(options.maxBatch ?? 10)),
    maxRetryAfterMs: options.maxRetryAfterMs ?? 5 * 60_000,
    warn: options.warn ?? (() => {}),
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
  };
}
