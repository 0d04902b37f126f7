/**
 * The outbox on local disk: an fsynced append-only journal (see journal.ts) and a delivery
 * loop that keeps within respond.io's rate limit, retries what may succeed later and
 * dead-letters what will not. One process owns a folder at a time (lock.ts).
 *
 * Delivery coalesces a contact's waiting events into one webhook POST (up to `maxBatch`, in
 * order); a rejected batch dead-letters only the events respond.io names, or is split until
 * the bad one is alone (batch.ts), so one bad event never sinks the others.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeEvent } from '../bridge/adapter.js';
import { messageOf } from '../errors.js';
import { backoffDelay } from './backoff.js';
import { batchSize, settleBatch } from './batch.js';
import { compactJournal } from './compact.js';
import { JOURNAL_FILE, Journal, type JournalRecord } from './journal.js';
import { acquireLock } from './lock.js';
import { type FileOutboxOptions, MAX_BATCH_BYTES, type ResolvedOptions, withDefaults } from './options.js';
import { SlidingWindowLimiter } from './rate-limiter.js';
import { replayJournal } from './replay.js';
import { addLine, type ContactQueue, type OutboxState, type StoredEntry } from './state.js';
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
  OutboxUnavailableError,
} from './types.js';

export type { FileOutboxOptions };

/** setTimeout fires at once (with a warning) beyond 2^31-1 ms: never ask for more. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How often delivery marks the disk refused are tried again (delivery waits for them). */
const MARK_RETRY_MS = 200;

/**
 * Opens (creating) a file outbox and replays its journal: pending events are delivered once
 * `start()` is called, delivered ones are not.
 * @example const outbox = await openFileOutbox({ dir: '.custom-channel/outbox' }); outbox.start(deliver)
 */
export async function openFileOutbox(options: FileOutboxOptions): Promise<FileOutbox> {
  const warn = options.warn ?? (() => {});
  const dedupeWindow = options.dedupeWindow ?? 100_000;
  if (options.readOnly) {
    const { state, quarantined } = replayJournal(options.dir, { dedupeWindow, repair: false, warn });
    const reader = existsSync(join(options.dir, JOURNAL_FILE)) ? Journal.openRead(options.dir) : undefined;
    return new FileOutbox(options, state, reader, () => {}, quarantined);
  }
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const release = acquireLock(options.dir);
  try {
    const { state, records, quarantined } = replayJournal(options.dir, { dedupeWindow, repair: true, warn });
    const journal = Journal.open(options.dir, records);
    return new FileOutbox(options, state, journal, release, quarantined);
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
  #compacting: Promise<void> | undefined;
  #closing = false;
  /** Delivery marks the journal could not write yet (a full disk), oldest first. */
  #unwritten: JournalRecord[] = [];
  #idBase: string;
  #seq = 0;
  #delivered = 0;
  #duplicates = 0;
  #lastError: OutboxStats['lastError'];
  #lastDeliveredAt: number | undefined;
  #quarantined: number;
  #readOnly: boolean;

  constructor(
    options: FileOutboxOptions,
    state: OutboxState,
    journal: Journal | undefined,
    release: () => void,
    quarantined = 0,
  ) {
    this.dir = options.dir;
    this.#quarantined = quarantined;
    this.#readOnly = options.readOnly === true;
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
    if (this.#closed) throw new OutboxUnavailableError('outbox is closed');
    if (!this.#journal || this.#readOnly) throw new Error('outbox was opened read-only');
    return this.#journal;
  }

  /** The event of an entry, read back from the journal; throws when its record is unreadable. */
  #load(stored: StoredEntry): OutboxEntry {
    if (!this.#journal) throw new Error('the journal is gone');
    const record = JSON.parse(this.#journal.read(stored.off, stored.len).toString('utf8')) as {
      op?: string;
      id?: string;
      key?: string;
      item?: BridgeEvent;
    };
    if (record?.op !== 'add' || record.id !== stored.id || !record.item?.event) {
      throw new Error(`journal record of ${stored.id} is unreadable`);
    }
    const entry: OutboxEntry = {
      id: stored.id,
      key: record.key ?? dedupeKey(record.item.event),
      enqueuedAt: stored.at,
      item: record.item,
      attempts: stored.attempts,
    };
    if (stored.lastError !== undefined) entry.lastError = stored.lastError;
    if (stored.reason !== undefined) entry.reason = stored.reason;
    if (stored.deadAt !== undefined) entry.deadAt = stored.deadAt;
    return entry;
  }

  async enqueue(events: readonly BridgeEvent[], options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const journal = this.#writable();
    const { state } = this;
    const held = state.pending.size + state.staged.size + state.dead.size;
    if (held + events.length > this.#o.maxEvents) throw new OutboxFullError(this.#o.maxEvents);
    const fresh: StoredEntry[] = [];
    const keys: string[] = [];
    const lines: string[] = [];
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
      const entry: StoredEntry = {
        id: `${this.#idBase}-${this.#seq.toString(36)}`,
        at: now,
        off: 0,
        len: 0,
        contactId: state.intern(item.contactId),
        attempts: 0,
      };
      fresh.push(entry);
      keys.push(key);
      lines.push(addLine({ id: entry.id, key, at: now, contactId: entry.contactId }, JSON.stringify(item)));
      state.seen.add(key);
      state.staged.set(entry.id, entry);
    }
    this.#duplicates += duplicates;
    if (fresh.length > 0) {
      if (options.deadLetter !== undefined) {
        for (const entry of fresh) {
          Object.assign(entry, { reason: options.deadLetter, deadAt: now });
          lines.push(JSON.stringify({ op: 'dead', id: entry.id, at: now, reason: entry.reason, attempts: 0 }));
        }
      }
      let write: Promise<void>;
      try {
        const appended = journal.append(lines);
        for (let i = 0; i < fresh.length; i += 1) {
          fresh[i].off = appended.offsets[i];
          fresh[i].len = appended.lengths[i];
        }
        write = appended.durable;
      } catch (error) {
        write = Promise.reject(error);
      }
      for (const key of keys) this.#writing.set(key, write);
      try {
        await write;
      } catch (error) {
        for (const key of keys) state.seen.delete(key);
        this.#lastError = { message: messageOf(error), at: this.#o.now() };
        throw error;
      } finally {
        for (let i = 0; i < fresh.length; i += 1) {
          this.#writing.delete(keys[i]);
          state.staged.delete(fresh[i].id);
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
      quarantined: this.#quarantined,
      journalWriteFailures: this.#journal?.failedWrites ?? 0,
      duplicates: this.#duplicates,
    };
    if (this.#lastError) stats.lastError = this.#lastError;
    if (this.#lastDeliveredAt !== undefined) stats.lastDeliveredAt = this.#lastDeliveredAt;
    return stats;
  }

  async list(which: EntryState): Promise<OutboxEntry[]> {
    const source = which === 'dead' ? this.#state.dead : this.#state.pending;
    const entries: OutboxEntry[] = [];
    for (const stored of [...source.values()].sort((a, b) => a.at - b.at)) {
      try {
        entries.push(this.#load(stored));
      } catch {
        // Unreadable: the bridge dead-letters it when it gets there; a listing shows the rest.
      }
    }
    return entries;
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
    await journal.appendRecords(targets.map((entry): JournalRecord => ({ op: 'retry', id: entry.id, at })));
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
    if (targets.length > 0) await journal.appendRecords(targets.map((e): JournalRecord => ({ op: 'purge', id: e.id })));
    return targets.length;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing = true;
      await this.stop();
      this.#flushMarks();
      await this.#compacting;
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
    if (!this.#flushMarks()) {
      // Each post respond.io accepts while its mark cannot be written would go again after a
      // crash: no new post starts until the marks are down, so resends stay within those in flight.
      this.#wake(MARK_RETRY_MS);
      return;
    }
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
      if (batch.length === 0) {
        this.#markReady(contactId);
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
        entry = this.#load(stored);
      } catch (error) {
        // A record that cannot be read back cannot be delivered: keep it visible as a dead letter.
        this.#bury(stored, `unreadable journal record: ${messageOf(error)}`, this.#o.now());
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

  /**
   * Delivery marks need no fsync: they reach the page cache at once, which survives `kill -9`.
   * A mark the disk refused (full) is kept, and delivery waits while it is tried again (see
   * `#pump`): lost, its events would be delivered again after a restart.
   */
  #record(record: JournalRecord): void {
    if (!this.#journal) return;
    this.#unwritten.push(record);
    if (!this.#flushMarks()) this.#wake(MARK_RETRY_MS);
    this.#maybeCompact();
  }

  /** Writes the delivery marks still waiting, oldest first: false while the disk refuses them. */
  #flushMarks(): boolean {
    const journal = this.#journal;
    if (!journal || this.#unwritten.length === 0) return true;
    try {
      while (this.#unwritten.length > 0) {
        journal.appendNow(this.#unwritten[0]);
        this.#unwritten.shift();
      }
      return true;
    } catch (error) {
      this.#lastError = { message: `journal: ${messageOf(error)}`, at: this.#o.now() };
      return false;
    }
  }

  #maybeCompact(): void {
    const journal = this.#journal;
    if (!journal || this.#compacting || this.#closing || journal.records < this.#o.compactAfter) return;
    const live = this.#state.pending.size + this.#state.dead.size + this.#state.seen.count / 1000;
    if (journal.records < 2 * live) return;
    this.#compacting = compactJournal(journal, this.#state)
      .catch((error) => {
        this.#lastError = { message: `journal compaction: ${messageOf(error)}`, at: this.#o.now() };
      })
      .finally(() => {
        this.#compacting = undefined;
      });
  }
}
