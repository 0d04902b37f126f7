/** The send queue's settings (either store) and their defaults. */

export const seconds = (ms: number) => `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)} s`;

/** What every send queue store takes. */
export interface SendQueueOptions {
  now?: () => number;
  /** Give up on a send this long after respond.io handed it over (default 1 hour). */
  maxAgeMs?: number;
  /** Give up after this many tries, counting those inside `/message` (default 100). */
  maxAttempts?: number;
  /** Tries in flight at once, across contacts (default 16). */
  concurrency?: number;
  /** Tries per second at most (the adapter's `capabilities.sendRate`); default none. */
  sendRate?: number;
  /** Backoff between tries of one send (default 1 s doubling to 15 s, with jitter). */
  backoff?: { baseMs?: number; maxMs?: number };
  /** A provider's Retry-After longer than this is cut to it (default 5 minutes). */
  maxRetryAfterMs?: number;
  /** provider id -> mId mappings kept for late status callbacks (default 100,000). */
  mapLimit?: number;
  /** On stop, in-flight tries get this long before they are aborted (default 2 s). */
  stopGraceMs?: number;
  log?: (message: string, data?: Record<string, unknown>) => void;
}

export interface FileSendQueueOptions extends SendQueueOptions {
  dir: string;
  /** List only (`outbox list --sends` while the bridge runs): no lock, no writes. */
  readOnly?: boolean;
}

export type ResolvedQueueOptions = Required<Omit<SendQueueOptions, 'sendRate' | 'log' | 'backoff'>> & {
  backoff: { baseMs: number; maxMs: number };
};

export function withQueueDefaults(options: SendQueueOptions): ResolvedQueueOptions {
  return {
    now: options.now ?? Date.now,
    maxAgeMs: options.maxAgeMs ?? 3_600_000,
    maxAttempts: options.maxAttempts ?? 100,
    concurrency: options.concurrency ?? 16,
    backoff: { baseMs: options.backoff?.baseMs ?? 1000, maxMs: options.backoff?.maxMs ?? 15_000 },
    maxRetryAfterMs: options.maxRetryAfterMs ?? 300_000,
    mapLimit: options.mapLimit ?? 100_000,
    stopGraceMs: options.stopGraceMs ?? 2000,
  };
}
