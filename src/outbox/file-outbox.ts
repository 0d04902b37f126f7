/**
 * The outbox on local disk: an fsynced append-only journal (see journal.ts), an index of the
 * pending events' places in it (state.ts), and the delivery loop (delivery-loop.ts) that keeps
 * within respond.io's rate limit, retries what may succeed later and dead-letters what will
 * not. One process owns a folder at a time (lock.ts).
 *
 * Delivery coalesces a contact's waiting events into one webhook POST (up to `maxBatch`, in
 * order); a rejected batch dead-letters only the events respond.io names, or is split until
 * the bad one is alone (batch.ts), so one bad event never sinks the others.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeEvent } from '../bridge/adapter.js';
import { messageOf } from '../errors.js';
import { compactJournal } from './compact.js';
import { DeliveryLoop } from './delivery-loop.js';
import { DeliveryMarks } from './delivery-marks.js';
import { readEntry } from './entry-read.js';
import { JOURNAL_FILE, Journal, type JournalRecord } from './journal.js';
import { acquireLock } from './lock.js';
import { type FileOutboxOptions, type ResolvedOptions, withDefaults } from './options.js';
import { replayJournal } from './replay.js';
import { addLine, type OutboxState, type StagedBatch, type StoredEntry } from './state.js';
import {
  type Deliver,
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
  #loop: DeliveryLoop;
  #closed: Promise<void> | undefined;
  #compacting: Promise<void> | undefined;
  #closing = false;
  #marks: DeliveryMarks | undefined;
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
    if (journal && !this.#readOnly) this.#marks = new DeliveryMarks(journal);
    this.#release = release;
    this.#loop = new DeliveryLoop(
      {
        state,
        load: (stored) => this.#load(stored),
        delivered: (entry, now) => {
          state.removePending(entry);
          this.#delivered += 1;
          this.#lastDeliveredAt = now;
          this.#record({ op: 'done', id: entry.id, at: now });
        },
        bury: (entry, reason, now) => this.#bury(entry, reason, now),
        failed: (error, now) => {
          this.#lastError = { message: error, at: now };
        },
        marksWritten: () => this.#flushMarks(),
      },
      this.#o,
    );
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
    return readEntry(this.#journal, stored);
  }

  enqueue(events: readonly BridgeEvent[], options: EnqueueOptions = {}): Promise<EnqueueResult> {
    try {
      return this.#enqueue(events, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `enqueue` without an async function of its own: the usual call is one promise chained onto
   * the journal's (an async function and its awaits per webhook showed in profiles of intake).
   */
  #enqueue(events: readonly BridgeEvent[], options: EnqueueOptions): Promise<EnqueueResult> {
    const journal = this.#writable();
    const { state } = this;
    const held = state.pending.size + state.staged.size + state.dead.size;
    if (held + events.length > this.#o.maxEvents) throw new OutboxFullError(this.#o.maxEvents);
    const entries: StoredEntry[] = [];
    const keys: string[] = [];
    const lines: string[] = [];
    const waits: Promise<void>[] = [];
    let duplicates = 0;
    const now = this.#o.now();
    for (const item of events) {
      const key = dedupeKey(item.event);
      if (!state.seen.addIfNew(key)) {
        duplicates += 1;
        // Seen, and maybe still being written: answered once it is durable (or failed with it).
        const inProgress = state.staged.writeOf(key);
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
        row: -1,
      };
      entries.push(entry);
      keys.push(key);
      lines.push(addLine({ id: entry.id, key, at: now, contactId: entry.contactId }, JSON.stringify(item)));
    }
    this.#duplicates += duplicates;
    const ids: string[] = [];
    for (const entry of entries) ids.push(entry.id);
    const result: EnqueueResult = { ids, duplicates };
    const written =
      entries.length > 0 ? this.#write(journal, { entries, keys, lines }, options, now, result) : undefined;
    if (waits.length > 0) return Promise.all(written ? [written, ...waits] : waits).then(() => result);
    return written ?? Promise.resolve(result);
  }

  /** Journals new entries; once durable they are pending (or dead letters), and `result` is answered. */
  #write(
    journal: Journal,
    fresh: { entries: StoredEntry[]; keys: string[]; lines: string[] },
    options: EnqueueOptions,
    now: number,
    result: EnqueueResult,
  ): Promise<EnqueueResult> {
    const { state } = this;
    const { entries, keys, lines } = fresh;
    if (options.deadLetter !== undefined) {
      for (const entry of entries) {
        Object.assign(entry, { reason: options.deadLetter, deadAt: now });
        lines.push(JSON.stringify({ op: 'dead', id: entry.id, at: now, reason: entry.reason, attempts: 0 }));
      }
    }
    let write: Promise<void>;
    try {
      const appended = journal.append(lines);
      for (let i = 0; i < entries.length; i += 1) {
        entries[i].off = appended.offsets[i];
        entries[i].len = appended.lengths[i];
      }
      write = appended.durable;
    } catch (error) {
      write = Promise.reject(error);
    }
    const batch: StagedBatch = { entries, keys, write };
    state.staged.add(batch);
    return write.then(
      () => {
        state.staged.delete(batch);
        for (const entry of entries) {
          if (entry.deadAt !== undefined) state.dead.set(entry.id, entry);
          else this.#loop.readyQueue(state.addPending(entry));
        }
        this.#maybeCompact();
        this.#loop.pump();
        return result;
      },
      (error: unknown) => {
        state.staged.delete(batch);
        // Not recorded: the same event sent again must be taken, not counted as a duplicate.
        for (const key of keys) state.seen.delete(key);
        this.#lastError = { message: messageOf(error), at: this.#o.now() };
        throw error;
      },
    );
  }

  get state(): OutboxState {
    return this.#state;
  }

  start(deliver: Deliver): void {
    this.#writable();
    this.#loop.start(deliver);
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  stats(): OutboxStats {
    const stats: OutboxStats = {
      pending: this.#state.pending.size,
      inFlight: this.#loop.inFlightEvents,
      inFlightPosts: this.#loop.inFlightPosts,
      cappedRetryAfter: this.#loop.cappedRetryAfter,
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
    for (const entry of targets) this.#loop.ready(entry.contactId);
    this.#loop.pump();
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
        if (this.#loop.flying(entry.id)) continue;
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
      this.#marks?.flush();
      await this.#compacting;
      await this.#journal?.close();
      this.#release();
    })();
    return this.#closed;
  }

  #bury(entry: StoredEntry, reason: string, now: number): void {
    this.#state.removePending(entry);
    Object.assign(entry, { reason, deadAt: now });
    this.#state.dead.set(entry.id, entry);
    this.#record({ op: 'dead', id: entry.id, at: now, reason, attempts: entry.attempts });
  }

  /** Journals a delivery mark (see delivery-marks.ts); while the disk refuses it, delivery waits. */
  #record(record: JournalRecord): void {
    if (!this.#marks) return;
    this.#noteMarkError(this.#marks.write(record));
    this.#maybeCompact();
  }

  /** Writes the marks the disk refused earlier: false while it still refuses them. */
  #flushMarks(): boolean {
    if (!this.#marks || this.#marks.waiting === 0) return true;
    return this.#noteMarkError(this.#marks.flush());
  }

  #noteMarkError(error: unknown): boolean {
    if (error === undefined) return true;
    this.#lastError = { message: `journal: ${messageOf(error)}`, at: this.#o.now() };
    this.#loop.wake(MARK_RETRY_MS);
    return false;
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
