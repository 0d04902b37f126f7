/**
 * The outbox on local disk: an fsynced append-only journal (see journal.ts) and a delivery
 * loop that keeps within respond.io's rate limit, retries what may succeed later and
 * dead-letters what will not. One process owns a folder at a time (lock.ts).
 *
 * Delivery coalesces a contact's waiting events into one webhook POST (up to `maxBatch`, in
 * order); a rejected batch dead-letters only the events respond.io names, or is split until
 * the bad one is alone (batch.ts), so one bad event never sinks the others.
 */
import { mkdirSync } from 'node:fs';
import type { BridgeEvent } from '../bridge/adapter.js';
import { messageOf } from '../errors.js';
import { backoffDelay } from './backoff.js';
import { batchSize, settleBatch } from './batch.js';
import { Journal, type JournalRecord, readJournal } from './journal.js';
import { acquireLock } from './lock.js';
import { type FileOutboxOptions, MAX_BATCH_BYTES, type ResolvedOptions, withDefaults } from './options.js';
import { SlidingWindowLimiter } from './rate-limiter.js';
import { addLine, type ContactQueue, OutboxState, type StoredEntry, toEntry } from './state.js';
import {
  type Deliver,
  type DeliveryResult,
  dedupeKey,
  type EnqueueOptions,
  type EnqueueResult,
  type OutboxState as EntryState,
  type Outbox,
  type OutboxEntry,
  OutboxFullError,
  type OutboxStats,
} from './types.js';

export type { FileOutboxOptions };

/** setTimeout fires at once (with a warning) beyond 2^31-1 ms: never ask for more. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Opens (creating) a file outbox and replays its journal: pending events are delivered once
 * `start()` is called, delivered ones are not.
 * @example const outbox = await openFileOutbox({ dir: '.custom-channel/outbox' }); outbox.start(deliver)
 */
export async function openFileOutbox(options: FileOutboxOptions): Promise<FileOutbox> {
  const state = new OutboxState(options.dedupeWindow ?? 100_000);
  if (options.readOnly) {
    state.replay(readJournal(options.dir));
    return new FileOutbox(options, state, undefined, () => {});
  }
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const release = acquireLock(options.dir);
  try {
    const records = readJournal(options.dir, { repair: true });
    state.replay(records);
    const journal = await Journal.open(options.dir, records.length);
    return new FileOutbox(options, state, journal, release);
  } catch (error) {
    release();
    throw error;
  }
}

export class FileOutbox implements Outbox {
  readonly dir: string;
  #o: ResolvedOptions;
  #state: OutboxState;
  #journal: Journal | undefined;
  #release: () => void;
  #limiter: SlidingWindowLimiter;
  #deliver: Deliver | undefined;
  #running = false;
  #closed: Promise<void> | undefined;
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
  #writing = new Map<string, Promise<void>>();
  #compacting = false;
  #idBase: string;
  #seq = 0;
  #delivered = 0;
  #duplicates = 0;
  #lastError: OutboxStats['lastError'];
  #lastDeliveredAt: number | undefined;

  constructor(options: FileOutboxOptions, state: OutboxState, journal: Journal | undefined, release: () => void) {
    this.dir = options.dir;
    this.#o = withDefaults(options);
    this.#state = state;
    this.#journal = journal;
    this.#release = release;
    this.#limiter = new SlidingWindowLimiter({
      limit: this.#o.rateLimitPerSecond,
      windowMs: this.#o.rateWindowMs,
      now: this.#o.now,
    });
    this.#idBase = this.#o.now().toString(36);
  }

  #writable(): Journal {
    if (this.#closed) throw new Error('outbox is closed');
    if (!this.#journal) throw new Error('outbox was opened read-only');
    return this.#journal;
  }

  async enqueue(events: readonly BridgeEvent[], options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const journal = this.#writable();
    const { state } = this;
    const held = state.pending.size + state.staged.size + state.dead.size;
    if (held + events.length > this.#o.maxEvents) throw new OutboxFullError(this.#o.maxEvents);
    const fresh: StoredEntry[] = [];
    const waits: Promise<void>[] = [];
    let duplicates = 0;
    const now = this.#o.now();
    for (const item of events) {
      const key = dedupeKey(item.event);
      if (state.seen.has(key)) {
        duplicates += 1;
        const inProgress = this.#writing.get(key);
        if (inProgress) waits.push(inProgress);
        continue;
      }
      this.#seq += 1;
      const id = `${this.#idBase}-${this.#seq.toString(36)}`;
      const entry: StoredEntry = {
        id,
        key,
        at: now,
        contactId: item.contactId,
        json: JSON.stringify(item),
        attempts: 0,
      };
      fresh.push(entry);
      state.remember(key);
      state.staged.set(id, entry);
    }
    this.#duplicates += duplicates;
    if (fresh.length > 0) {
      let text = fresh.map((entry) => `${addLine(entry)}\n`).join('');
      if (options.deadLetter !== undefined) {
        for (const entry of fresh) Object.assign(entry, { reason: options.deadLetter, deadAt: now });
        text += fresh
          .map((e) => `${JSON.stringify({ op: 'dead', id: e.id, at: now, reason: e.reason, attempts: 0 })}\n`)
          .join('');
      }
      const write = journal.appendText(text, fresh.length * (options.deadLetter === undefined ? 1 : 2));
      for (const entry of fresh) this.#writing.set(entry.key, write);
      try {
        await write;
      } catch (error) {
        for (const entry of fresh) state.seen.delete(entry.key);
        throw error;
      } finally {
        for (const entry of fresh) {
          this.#writing.delete(entry.key);
          state.staged.delete(entry.id);
        }
      }
      for (const entry of fresh) {
        if (entry.deadAt !== undefined) state.dead.set(entry.id, entry);
        else {
          state.addPending(entry);
          this.#markReady(entry.contactId);
        }
      }
      this.#maybeCompact();
      this.#pump();
    }
    await Promise.all(waits);
    return { ids: fresh.map((entry) => entry.id), duplicates };
  }

  get state(): OutboxState {
    return this.#state;
  }

  start(deliver: Deliver): void {
    this.#writable();
    this.#deliver = deliver;
    if (this.#running) return;
    this.#running = true;
    for (const contactId of this.#state.contacts.keys()) this.#markReady(contactId);
    this.#pump();
  }

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

  stats(): OutboxStats {
    const stats: OutboxStats = {
      pending: this.#state.pending.size,
      inFlight: this.#inFlightEvents,
      inFlightPosts: this.#inFlight.size,
      cappedRetryAfter: this.#cappedRetryAfter,
      deadLetters: this.#state.dead.size,
      delivered: this.#delivered,
      duplicates: this.#duplicates,
    };
    if (this.#lastError) stats.lastError = this.#lastError;
    if (this.#lastDeliveredAt !== undefined) stats.lastDeliveredAt = this.#lastDeliveredAt;
    return stats;
  }

  async list(which: EntryState): Promise<OutboxEntry[]> {
    const source = which === 'dead' ? this.#state.dead : this.#state.pending;
    return [...source.values()].sort((a, b) => a.at - b.at).map(toEntry);
  }

  async retry(id?: string): Promise<number> {
    const journal = this.#writable();
    const targets = id === undefined ? [...this.#state.dead.values()] : [this.#state.dead.get(id)].filter((e) => !!e);
    if (targets.length === 0) return 0;
    const at = this.#o.now();
    for (const entry of targets) {
      this.#state.dead.delete(entry.id);
      Object.assign(entry, { reason: undefined, deadAt: undefined, attempts: 0, lastError: undefined });
      this.#state.addPending(entry);
    }
    await journal.append(targets.map((entry): JournalRecord => ({ op: 'retry', id: entry.id, at })));
    for (const entry of targets) this.#markReady(entry.contactId);
    this.#pump();
    return targets.length;
  }

  async purge(which: EntryState | 'all' = 'dead'): Promise<number> {
    const journal = this.#writable();
    const targets: StoredEntry[] = [];
    if (which !== 'pending') {
      targets.push(...this.#state.dead.values());
      this.#state.dead.clear();
    }
    if (which !== 'dead') {
      for (const entry of [...this.#state.pending.values()]) {
        if (this.#flying.has(entry.id)) continue;
        this.#state.removePending(entry);
        targets.push(entry);
      }
    }
    if (targets.length > 0) await journal.append(targets.map((e): JournalRecord => ({ op: 'purge', id: e.id })));
    return targets.length;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.stop();
      await this.#journal?.close();
      this.#release();
    })();
    return this.#closed;
  }

  #markReady(contactId: string): void {
    const queue = this.#state.contacts.get(contactId);
    if (queue && queue.size > 0 && !queue.busy && queue.notBefore <= this.#o.now()) this.#ready.add(contactId);
  }

  #wake(ms: number): void {
    const due = this.#o.now() + ms;
    if (this.#timer && this.#timerDue <= due) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#pump();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
  }

  #pump(): void {
    if (!this.#running || !this.#deliver) return;
    while (this.#inFlight.size < this.#o.concurrency && this.#ready.size > 0) {
      const now = this.#o.now();
      const wait = Math.max(this.#pausedUntil - now, this.#limiter.delay());
      if (wait > 0) {
        // Infinity: every slot is in flight; the next answer pumps again.
        if (Number.isFinite(wait)) this.#wake(wait);
        return;
      }
      const contactId = this.#ready.values().next().value as string;
      this.#ready.delete(contactId);
      const queue = this.#state.contacts.get(contactId);
      if (!queue || queue.size === 0 || queue.busy || queue.notBefore > now) continue;
      const batch = this.#batchOf(queue);
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
      const entry = toEntry(stored);
      const details = JSON.stringify(entry.item.contact ?? null);
      bytes += stored.json.length;
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
        this.#markReady(contactId);
        this.#pump();
      });
    this.#tasks.add(task);
  }

  #settle(queue: ContactQueue, contactId: string, batch: StoredEntry[], result: DeliveryResult): void {
    const now = this.#o.now();
    const outcome = settleBatch(batch.length, result, queue.split, this.#o.maxBatch);
    queue.split = outcome.split;
    for (const index of outcome.delivered) {
      const entry = batch[index];
      this.#state.removePending(entry);
      this.#delivered += 1;
      this.#lastDeliveredAt = now;
      this.#record({ op: 'done', id: entry.id, at: now });
    }
    if (result.ok) return;
    this.#lastError = { message: result.error, at: now };
    for (const index of outcome.dead) this.#bury(batch[index], result.error, now);
    const again = outcome.again.map((index) => batch[index]);
    for (const entry of again) entry.lastError = result.error;
    if (!outcome.backoff || !result.retry) return;
    const alive = again.filter((entry) => {
      if (now - entry.at < this.#o.giveUpAfterMs) return true;
      this.#bury(entry, `gave up after ${entry.attempts} attempts: ${result.error}`, now);
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
      this.#markReady(contactId);
      this.#pump();
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

  #bury(entry: StoredEntry, reason: string, now: number): void {
    this.#state.removePending(entry);
    Object.assign(entry, { reason, deadAt: now });
    this.#state.dead.set(entry.id, entry);
    this.#record({ op: 'dead', id: entry.id, at: now, reason, attempts: entry.attempts });
  }

  /** Delivery marks need no fsync: they reach the page cache at once, which survives `kill -9`. */
  #record(record: JournalRecord): void {
    try {
      this.#journal?.appendNow(record);
    } catch (error) {
      this.#lastError = { message: `journal: ${messageOf(error)}`, at: this.#o.now() };
    }
    this.#maybeCompact();
  }

  #maybeCompact(): void {
    const journal = this.#journal;
    if (!journal || this.#compacting || journal.records < this.#o.compactAfter) return;
    const live = this.#state.pending.size + this.#state.dead.size + this.#state.seen.size / 1000;
    if (journal.records < 2 * live) return;
    this.#compacting = true;
    journal
      .compact(() => this.#state.snapshot())
      .catch((error) => {
        this.#lastError = { message: `journal compaction: ${messageOf(error)}`, at: this.#o.now() };
      })
      .finally(() => {
        this.#compacting = false;
      });
  }
}
