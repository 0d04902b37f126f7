/**
 * Watches deliveries to respond.io from outside the outbox: it wraps the `Deliver` function the
 * bridge hands to `outbox.start()` and the `fetch` that function posts with, so the outbox needs
 * no hooks. From every attempt it
 * - logs a `warn` per failed attempt, at most one line per second per cause, with counts;
 * - logs an `error` per dead letter (an event respond.io refused for good);
 * - logs an `info` when delivery works again after failures;
 * - counts posts, events, 429 pauses and post latency into the bridge's metrics;
 * - keeps the delivery health `/ready` reads (failing since when, with what).
 * The status code travels from the fetch to the attempt in a store handed over while `deliver`
 * is called: the wrapped fetch takes the store of the attempt that called it synchronously
 * (`buildDeliver` posts before its first await), so attempts in flight at once (one per
 * contact) do not mix. (An AsyncLocalStorage did this before: on Node 20 it turns on promise
 * hooks for the whole process, a cost on every promise of every request.)
 */
import type { FastifyBaseLogger } from 'fastify';
import type { DeliveryResult, OutboxEntry } from '../outbox/types.js';
import type { BridgeMetrics } from './metrics.js';

export interface DeliveryHealth {
  /** First failed attempt of the current run of failures (undefined while deliveries work). */
  failingSince?: number;
  /** Failed attempts since `failingSince`. */
  failedAttempts: number;
  lastError?: string;
  lastDeliveredAt?: number;
}

export interface DeliveryWatchOptions {
  log: FastifyBaseLogger;
  metrics?: BridgeMetrics;
  now?: () => number;
  /** At most one warn line per cause per this many ms (default 1,000). */
  warnIntervalMs?: number;
  /**
   * The outbox's `giveUpAfterMs`, when known: a retryable failure of an event older than this
   * makes it a dead letter, which gets its error line too.
   */
  giveUpAfterMs?: number;
}

export interface DeliveryWatch {
  /** The fetch the deliverer posts with: records status codes and latency. */
  wrapFetch(fetch: typeof globalThis.fetch): typeof globalThis.fetch;
  /** The deliverer to hand to `outbox.start()`. Takes a batch (or, before batching, one entry). */
  wrapDeliver<A extends [unknown, AbortSignal, ...unknown[]]>(
    deliver: (...args: A) => Promise<DeliveryResult>,
  ): (...args: A) => Promise<DeliveryResult>;
  health(): DeliveryHealth;
  /** Writes the counts still held back and stops the timers. */
  close(): void;
}

interface CauseState {
  lastLineAt: number;
  attempts: number;
  events: number;
  error: string;
  timer?: NodeJS.Timeout;
}

interface AttemptStore {
  status: number;
}

/** A cause groups failures worth one line: `respond.io answered 503`, `respond.io unreachable`. */
function causeOf(status: number): string {
  return status === 0 ? 'respond.io unreachable' : `respond.io answered ${status}`;
}

/** Starts watching; see the module comment. */
export function createDeliveryWatch(options: DeliveryWatchOptions): DeliveryWatch {
  const { log, metrics } = options;
  const now = options.now ?? Date.now;
  const interval = options.warnIntervalMs ?? 1000;
  /** The attempt whose `deliver` is being called, for the fetch it makes (see the top). */
  let calling: AttemptStore | undefined;
  const causes = new Map<string, CauseState>();
  const health: DeliveryHealth = { failedAttempts: 0 };

  const writeWarn = (cause: string, state: CauseState) => {
    if (state.attempts === 0) return;
    log.warn(
      {
        cause,
        attempts: state.attempts,
        events: state.events,
        error: state.error,
        failingForMs: health.failingSince === undefined ? 0 : now() - health.failingSince,
      },
      `delivery to respond.io failed: ${cause} (${state.attempts} attempt${state.attempts === 1 ? '' : 's'}); retrying`,
    );
    state.lastLineAt = now();
    state.attempts = 0;
    state.events = 0;
  };
  const flush = () => {
    for (const [cause, state] of causes) {
      clearTimeout(state.timer);
      state.timer = undefined;
      writeWarn(cause, state);
    }
  };

  const failed = (cause: string, error: string, events: number) => {
    const at = now();
    health.failingSince ??= at;
    health.failedAttempts += 1;
    health.lastError = error;
    let state = causes.get(cause);
    if (!state) {
      state = { lastLineAt: Number.NEGATIVE_INFINITY, attempts: 0, events: 0, error };
      causes.set(cause, state);
    }
    state.attempts += 1;
    state.events += events;
    state.error = error;
    if (at - state.lastLineAt >= interval) {
      clearTimeout(state.timer);
      state.timer = undefined;
      writeWarn(cause, state);
    } else if (!state.timer) {
      const held = state;
      held.timer = setTimeout(
        () => {
          held.timer = undefined;
          writeWarn(cause, held);
        },
        Math.max(0, held.lastLineAt + interval - at),
      );
      held.timer.unref();
    }
  };

  let lastRecoveryLineAt = Number.NEGATIVE_INFINITY;
  const recovered = () => {
    health.lastDeliveredAt = now();
    if (health.failingSince === undefined) return;
    // Counts still held back go into the recovery line (a warn now could come within a second
    // of the last one); each cause keeps its last line's time, so the limit holds across recoveries.
    let held = 0;
    for (const state of causes.values()) {
      clearTimeout(state.timer);
      state.timer = undefined;
      held += state.attempts;
      state.attempts = 0;
      state.events = 0;
    }
    // Flapping (some posts fail, some pass) must not print a line per success either.
    if (now() - lastRecoveryLineAt >= interval) {
      lastRecoveryLineAt = now();
      log.info(
        { failedAttempts: health.failedAttempts, notWarnedAttempts: held, downForMs: now() - health.failingSince },
        `delivery to respond.io recovered after ${health.failedAttempts} failed attempt${health.failedAttempts === 1 ? '' : 's'}`,
      );
    }
    health.failingSince = undefined;
    health.failedAttempts = 0;
  };

  const logDead = (dead: readonly OutboxEntry[], reason: string, why: string) => {
    metrics?.deadLetters.inc(dead.length);
    for (const entry of dead) {
      const event = entry.item?.event;
      log.error(
        { outboxId: entry.id, type: event?.type, mId: event?.mId, reason },
        `event dead-lettered: ${why} (see \`custom-channel outbox list --dead\`)`,
      );
    }
  };

  const deadLettered = (batch: readonly OutboxEntry[], result: { error: string; culprits?: readonly number[] }) => {
    // A batch refused without culprits is split by the outbox and retried: no dead letter yet.
    const dead = result.culprits
      ? result.culprits.map((i) => batch[i]).filter(Boolean)
      : batch.length === 1
        ? batch
        : [];
    if (dead.length === 0) {
      log.debug({ events: batch.length, error: result.error }, 'respond.io refused a batch; the outbox splits it');
      return;
    }
    logDead(dead, result.error, 'respond.io refused it');
  };

  const givenUp = (batch: readonly OutboxEntry[], error: string) => {
    const limit = options.giveUpAfterMs;
    if (limit === undefined) return;
    const at = now();
    const dead = batch.filter((entry) => at - entry.enqueuedAt >= limit);
    if (dead.length > 0) logDead(dead, error, `retried for ${Math.round(limit / 3600_000)} h without success`);
  };

  return {
    wrapFetch(fetch) {
      return async (input, init) => {
        const store = calling;
        const started = performance.now();
        let status = 0;
        try {
          const response = await fetch(input, init);
          status = response.status;
          return response;
        } finally {
          if (store) store.status = status;
          metrics?.deliveryDuration.observe({ status_code: String(status) }, (performance.now() - started) / 1000);
        }
      };
    },
    wrapDeliver(deliver) {
      return async (...args) => {
        const [first, signal] = args;
        const batch = (Array.isArray(first) ? first : [first]) as readonly OutboxEntry[];
        const store: AttemptStore = { status: 0 };
        calling = store;
        let pending: ReturnType<typeof deliver>;
        try {
          pending = deliver(...args);
        } finally {
          calling = undefined;
        }
        const result = await pending;
        // An attempt cut short by the shutdown says nothing about respond.io.
        if (signal.aborted && !result.ok) return result;
        const code = String(store.status);
        if (result.ok) {
          metrics?.webhookPosts.inc({ outcome: 'delivered', status_code: code });
          metrics?.eventsDelivered.inc(batch.length);
          recovered();
        } else if (result.retry) {
          metrics?.webhookPosts.inc({ outcome: 'retried', status_code: code });
          if (store.status === 429) {
            metrics?.rateLimitWaits.inc();
            if (result.retryAfterMs) metrics?.rateLimitWaitSeconds.inc(result.retryAfterMs / 1000);
          }
          failed(causeOf(store.status), result.error, batch.length);
          givenUp(batch, result.error);
        } else {
          metrics?.webhookPosts.inc({ outcome: 'rejected', status_code: code });
          // A refused token fails every event: that is respond.io being unusable, not a bad event.
          if (store.status === 401 || store.status === 403) failed(causeOf(store.status), result.error, batch.length);
          deadLettered(batch, result);
        }
        return result;
      };
    },
    health: () => ({ ...health }),
    close: flush,
  };
}
