/**
 * The file outbox's delivery loop: at most `concurrency` posts in flight, each to a different
 * contact, within respond.io's rate limit (rate-limiter.ts); a contact's waiting events go in
 * one post (batch.ts); what may succeed later is retried after a backoff or respond.io's
 * Retry-After (capped, told once), a 429 pausing the whole channel. What the events are and
 * where they are written is the store's business (file-outbox.ts).
 */
import { messageOf } from '../errors.js';
import { backoffDelay } from './backoff.js';
import { batchSize, settleBatch } from './batch.js';
import { MAX_BATCH_BYTES, type ResolvedOptions } from './options.js';
import { SlidingWindowLimiter } from './rate-limiter.js';
import type { ContactQueue, OutboxState, StoredEntry } from './state.js';
import type { Deliver, DeliveryResult, OutboxEntry } from './types.js';

/** setTimeout fires at once (with a warning) beyond 2^31-1 ms: never ask for more. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What the loop needs of the outbox that owns the events. */
export interface DeliveryStore {
  readonly state: OutboxState;
  /** The entry's event, read back; throws when its record is unreadable. */
  load(stored: StoredEntry): OutboxEntry;
  /** respond.io took it. */
  delivered(entry: StoredEntry, now: number): void;
  /** Given up: a dead letter with `reason`. */
  bury(entry: StoredEntry, reason: string, now: number): void;
  /** A post failed (it may be tried again). */
  failed(error: string, now: number): void;
  /** False while delivery marks the disk refused are waiting: no new post may start. */
  marksWritten(): boolean;
}

export class DeliveryLoop {
  #store: DeliveryStore;
  #o: ResolvedOptions;
  #limiter: SlidingWindowLimiter;
  #deliver: Deliver | undefined;
  #running = false;
  /** Posts in flight, by the id of their first event. */
  #inFlight = new Map<string, { controller: AbortController; size: number }>();
  #inFlightEvents = 0;
  /** Ids of the events in those posts. */
  #flying = new Set<string>();
  #cappedRetryAfter = 0;
  #tasks = new Set<Promise<void>>();
  #ready = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #timerDue = 0;
  #backoffTimers = new Set<NodeJS.Timeout>();
  #pausedUntil = 0;

  constructor(store: DeliveryStore, options: ResolvedOptions) {
    this.#store = store;
    this.#o = options;
    this.#limiter = new SlidingWindowLimiter({
      limit: options.rateLimitPerSecond,
      windowMs: options.rateWindowMs,
      now: options.now,
    });
  }

  get inFlightEvents(): number {
    return this.#inFlightEvents;
  }

  get inFlightPosts(): number {
    return this.#inFlight.size;
  }

  /** Retry-After answers cut to `maxRetryAfterMs`. */
  get cappedRetryAfter(): number {
    return this.#cappedRetryAfter;
  }

  /** True while the event is in a post in flight. */
  flying(id: string): boolean {
    return this.#flying.has(id);
  }

  start(deliver: Deliver): void {
    this.#deliver = deliver;
    if (this.#running) return;
    this.#running = true;
    for (const contactId of this.#store.state.contacts.keys()) this.ready(contactId);
    this.pump();
  }

  /** Starts no new post; lets those in flight finish for `stopGraceMs`, then aborts them. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const timer of this.#backoffTimers) clearTimeout(timer);
    this.#backoffTimers.clear();
    const grace = setTimeout(() => {
      for (const { controller } of this.#inFlight.values()) controller.abort(new Error('outbox stopping'));
    }, this.#o.stopGraceMs);
    await Promise.allSettled([...this.#tasks]);
    clearTimeout(grace);
  }

  /** Marks `contactId` ready when its queue has events and nothing holds it back. */
  ready(contactId: string): void {
    const queue = this.#store.state.contacts.get(contactId);
    if (queue) this.readyQueue(queue);
  }

  /** `ready` for a queue at hand (intake has it: one lookup by contact fewer per event). */
  readyQueue(queue: ContactQueue): void {
    if (queue.size > 0 && !queue.busy && queue.notBefore <= this.#o.now()) this.#ready.add(queue.contactId);
  }

  /** Pumps again in `ms` (or sooner, if already asked). */
  wake(ms: number): void {
    const due = this.#o.now() + ms;
    if (this.#timer && this.#timerDue <= due) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.pump();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
  }

  /** Starts posts while slots, budget and ready contacts allow. */
  pump(): void {
    if (!this.#running || !this.#deliver) return;
    // Each post respond.io accepts while its mark cannot be written would go again after a
    // crash: no new post starts until the marks are down, so resends stay within those in flight.
    if (!this.#store.marksWritten()) return;
    while (this.#inFlight.size < this.#o.concurrency && this.#ready.size > 0) {
      const now = this.#o.now();
      const wait = Math.max(this.#pausedUntil - now, this.#limiter.delay());
      if (wait > 0) {
        // Infinity: every slot is in flight; the next answer pumps again.
        if (Number.isFinite(wait)) this.wake(wait);
        return;
      }
      const contactId = this.#ready.values().next().value as string;
      this.#ready.delete(contactId);
      const queue = this.#store.state.contacts.get(contactId);
      if (!queue || queue.size === 0 || queue.busy || queue.notBefore > now) continue;
      const batch = this.#batchOf(queue);
      if (batch.length === 0) {
        this.ready(contactId);
        continue;
      }
      this.#dispatch(contactId, queue, batch, this.#deliver, this.#limiter.take());
    }
  }

  /** The head of a contact's queue that goes in one post: same contact details, bounded bytes. */
  #batchOf(queue: ContactQueue): Array<{ stored: StoredEntry; entry: OutboxEntry }> {
    const candidates = queue.head(batchSize(queue.split, queue.size, this.#o.maxBatch));
    const batch: Array<{ stored: StoredEntry; entry: OutboxEntry }> = [];
    let contact: string | undefined;
    let bytes = 0;
    for (const stored of candidates) {
      let entry: OutboxEntry;
      try {
        entry = this.#store.load(stored);
      } catch (error) {
        // A record that cannot be read back cannot be delivered: keep it visible as a dead letter.
        this.#store.bury(stored, `unreadable journal record: ${messageOf(error)}`, this.#o.now());
        if (batch.length > 0) break;
        continue;
      }
      const details = JSON.stringify(entry.item.contact ?? null);
      bytes += stored.len;
      if (batch.length > 0 && (details !== contact || bytes > MAX_BATCH_BYTES)) break;
      contact = details;
      batch.push({ stored, entry });
    }
    return batch;
  }

  #dispatch(
    contactId: string,
    queue: ContactQueue,
    batch: Array<{ stored: StoredEntry; entry: OutboxEntry }>,
    deliver: Deliver,
    slot: number,
  ): void {
    queue.busy = true;
    const controller = new AbortController();
    const flightId = batch[0].stored.id;
    for (const { stored, entry } of batch) {
      stored.attempts += 1;
      entry.attempts = stored.attempts;
      this.#flying.add(stored.id);
    }
    this.#inFlight.set(flightId, { controller, size: batch.length });
    this.#inFlightEvents += batch.length;
    const task = deliver(
      batch.map((b) => b.entry),
      controller.signal,
    )
      .catch((error): DeliveryResult => ({ ok: false, retry: true, error: messageOf(error) }))
      .then((result) => {
        this.#limiter.complete(slot);
        this.#inFlight.delete(flightId);
        this.#inFlightEvents -= batch.length;
        for (const { stored } of batch) this.#flying.delete(stored.id);
        queue.busy = false;
        this.#settle(
          queue,
          contactId,
          batch.map((b) => b.stored),
          result,
        );
      })
      .finally(() => {
        this.#tasks.delete(task);
        this.ready(contactId);
        this.pump();
      });
    this.#tasks.add(task);
  }

  #settle(queue: ContactQueue, contactId: string, batch: StoredEntry[], result: DeliveryResult): void {
    const now = this.#o.now();
    const outcome = settleBatch(batch.length, result, queue.split, this.#o.maxBatch);
    queue.split = outcome.split;
    for (const index of outcome.delivered) {
      this.#store.delivered(batch[index], now);
    }
    if (result.ok) return;
    this.#store.failed(result.error, now);
    for (const index of outcome.dead) this.#store.bury(batch[index], result.error, now);
    const again = outcome.again.map((index) => batch[index]);
    for (const entry of again) entry.lastError = result.error;
    if (!outcome.backoff || !result.retry) return;
    const alive = again.filter((entry) => {
      if (now - entry.at < this.#o.giveUpAfterMs) return true;
      this.#store.bury(entry, `gave up after ${entry.attempts} attempts: ${result.error}`, now);
      return false;
    });
    if (alive.length === 0) return;
    // respond.io's Retry-After is honoured up to a cap; without one, back off exponentially.
    const delay = this.#retryDelay(result.retryAfterMs, alive[0].attempts);
    if (result.channelWide) this.#pausedUntil = Math.max(this.#pausedUntil, now + delay);
    if (!this.#running) return;
    queue.notBefore = now + delay;
    const timer = setTimeout(() => {
      this.#backoffTimers.delete(timer);
      // Timers may fire a millisecond before the wall clock says so: the wait is over regardless.
      queue.notBefore = 0;
      this.ready(contactId);
      this.pump();
    }, delay);
    this.#backoffTimers.add(timer);
  }

  /** Milliseconds to wait before the next attempt; an absurd Retry-After is capped (and told once). */
  #retryDelay(retryAfterMs: number | undefined, attempts: number): number {
    if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
      return backoffDelay(attempts, this.#o.backoff, this.#o.random);
    }
    const cap = Math.min(this.#o.maxRetryAfterMs, MAX_TIMER_MS);
    if (retryAfterMs <= cap) return retryAfterMs;
    this.#cappedRetryAfter += 1;
    if (this.#cappedRetryAfter === 1) {
      this.#o.warn(
        `respond.io asked to wait ${Math.round(retryAfterMs / 1000)} s (Retry-After); waiting ${Math.round(cap / 1000)} s instead (maxRetryAfterMs)`,
      );
    }
    return cap;
  }
}
