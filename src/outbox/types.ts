/**
 * The outbox: events bound for respond.io, recorded durably before the provider is answered
 * and delivered later within respond.io's rate limit. This interface is all the bridge knows,
 * so a shared queue (Redis with BullMQ, for several bridge instances) can replace the file
 * journal without touching the bridge.
 */
import type { BridgeEvent } from '../bridge/adapter.js';

export type OutboxState = 'pending' | 'dead';

/** One queued event, as `list()` shows it. */
export interface OutboxEntry {
  /** Outbox id (short, unique per outbox): what `outbox retry <id>` takes. */
  id: string;
  /** Deduplication key: event type, mId and status value. */
  key: string;
  enqueuedAt: number;
  item: BridgeEvent;
  /** Delivery attempts made by this process. */
  attempts: number;
  lastError?: string;
  /** Dead letters: why the event was given up. */
  reason?: string;
  deadAt?: number;
}

/** What one delivery attempt came to; the outbox decides when to try again. */
export type DeliveryResult =
  | { ok: true }
  /** Worth another try (network error, 5xx, 429). `channelWide` pauses the whole channel (429). */
  | { ok: false; retry: true; error: string; retryAfterMs?: number; channelWide?: boolean }
  /**
   * Will not get better (other 4xx): the events become dead letters with `error` as reason.
   * `culprits`: indexes into the batch that respond.io named (400 problem paths `events[i]...`);
   * the outbox dead-letters only those and delivers the rest. Unnamed, a batch of more than one
   * is split until the bad event is alone (see batch.ts).
   */
  | { ok: false; retry: false; error: string; culprits?: readonly number[] };

/**
 * Delivers 1..maxBatch events of ONE contact, in enqueue order, as one webhook POST. Must
 * resolve, not reject; `signal` aborts on shutdown.
 */
export type Deliver = (batch: readonly OutboxEntry[], signal: AbortSignal) => Promise<DeliveryResult>;

export interface EnqueueOptions {
  /** Records the events straight as dead letters with this reason (e.g. an adapter produced an invalid event). */
  deadLetter?: string;
}

export interface EnqueueResult {
  /** Ids of the events recorded now. */
  ids: string[];
  /** Events dropped because the same (type, mId, status) was seen before. */
  duplicates: number;
}

export interface OutboxStats {
  /** Waiting or being delivered. */
  pending: number;
  /** Events in posts that await respond.io's answer. */
  inFlight: number;
  /** Posts that await respond.io's answer (each carries 1..maxBatch events). */
  inFlightPosts?: number;
  /** Unreadable journal records found at start (moved to journal.quarantine.ndjson). */
  quarantined?: number;
  /** Journal writes that failed (disk full, I/O error) since start: each failed its enqueue. */
  journalWriteFailures?: number;
  /** Retry-After answers longer than `maxRetryAfterMs`, cut to it. */
  cappedRetryAfter?: number;
  deadLetters: number;
  /** Delivered by this process since it started. */
  delivered: number;
  /** Duplicates dropped by this process since it started. */
  duplicates: number;
  lastError?: { message: string; at: number };
  lastDeliveredAt?: number;
}

export interface Outbox {
  /** Resolves only once the events are durably recorded (or known duplicates). */
  enqueue(events: readonly BridgeEvent[], options?: EnqueueOptions): Promise<EnqueueResult>;
  /** Starts delivering with `deliver`; idempotent. */
  start(deliver: Deliver): void;
  /** Stops delivering; in-flight attempts finish (or are aborted after a grace period) and stay recorded. */
  stop(): Promise<void>;
  stats(): OutboxStats;
  list(state: OutboxState): Promise<OutboxEntry[]>;
  /** Moves one dead letter (or all of them, without `id`) back to pending; returns how many. */
  retry(id?: string): Promise<number>;
  /** Drops dead letters (default), pending events, or both; returns how many. */
  purge(state?: OutboxState | 'all'): Promise<number>;
  /** Stops delivery and releases the storage. Idempotent. */
  close(): Promise<void>;
  /** Whether events can be recorded right now, and why not (a shared store may be unreachable). */
  health?(): { ok: boolean; reason?: string };
}

/**
 * The outbox cannot record events now (disk full, I/O error): nothing was recorded, and the
 * bridge answers the provider 503 + Retry-After so it sends them again later.
 */
export class OutboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboxUnavailableError';
  }
}

/** The outbox holds as many events as it may: the bridge answers the provider 503 so it retries later. */
export class OutboxFullError extends Error {
  constructor(limit: number) {
    super(`outbox full: ${limit} events waiting for respond.io`);
    this.name = 'OutboxFullError';
  }
}

/**
 * The deduplication key of an event: a provider retry of the same webhook gives the same key.
 * @example dedupeKey({ type: 'message_status', mId: 'p-1', status: { value: 'read' } }) // 'message_status:p-1:read'
 */
export function dedupeKey(event: BridgeEvent['event']): string {
  const status = event.type === 'message_status' ? event.status.value : '';
  return `${event.type}:${event.mId}:${status}`;
}
