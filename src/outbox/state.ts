/**
 * The outbox's in-memory index, rebuilt from the journal at start: pending events in one FIFO
 * per contact (so a contact's events reach respond.io in order), dead letters, and a bounded
 * window of keys already seen (deduplication survives restarts and compactions).
 *
 * Payloads stay on disk: an entry holds its journal line's offset and length (about 150 bytes
 * of memory per pending event), and the event is read back when it is delivered or listed.
 */
import { freshSplit, type SplitState } from './batch.js';
import { EntryIndex } from './entry-index.js';
import type { JournalRecord } from './journal.js';
import type { AddHeader } from './journal-read.js';

export interface StoredEntry {
  id: string;
  at: number;
  /** The journal line of its `add` record (rewritten by compaction). */
  off: number;
  len: number;
  contactId: string;
  attempts: number;
  lastError?: string;
  reason?: string;
  deadAt?: number;
}

/** One contact's pending events, oldest first; removing the head is O(1). */
export class ContactQueue {
  readonly contactId: string;
  #items: Array<StoredEntry | undefined> = [];
  #head = 0;
  busy = false;
  /** Backing off until then (epoch ms). */
  notBefore = 0;
  /** Batch limit after a rejection (see batch.ts). */
  split: SplitState = freshSplit(Number.POSITIVE_INFINITY);

  constructor(contactId: string) {
    this.contactId = contactId;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Up to `n` entries from the head, oldest first. */
  head(n: number): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (let i = this.#head; i < this.#items.length && out.length < n; i += 1) {
      const entry = this.#items[i];
      if (entry) out.push(entry);
    }
    return out;
  }

  push(entry: StoredEntry): void {
    this.#items.push(entry);
  }

  remove(entry: StoredEntry): void {
    if (this.#items[this.#head] === entry) {
      this.#items[this.#head] = undefined;
      this.#head += 1;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return;
    }
    const index = this.#items.indexOf(entry, this.#head);
    if (index >= 0) this.#items.splice(index, 1);
  }
}

/**
 * The last `size` keys seen, oldest forgotten first: a ring of keys beside a Set, so trimming
 * costs O(1) however many keys went through (a Map's `keys().next()` walks deleted slots).
 */
export class SeenWindow {
  readonly size: number;
  #ring: Array<string | undefined>;
  #next = 0;
  #set = new Set<string>();

  constructor(size: number) {
    this.size = Math.max(1, Math.floor(size));
    this.#ring = [];
  }

  get count(): number {
    return this.#set.size;
  }

  has(key: string): boolean {
    return this.#set.has(key);
  }

  add(key: string): void {
    this.addIfNew(key);
  }

  /**
   * Adds `key`; false when it was already in the window. One Set lookup for a new key (a
   * `has` then an `add` cost two, and this runs per event).
   */
  addIfNew(key: string): boolean {
    const before = this.#set.size;
    this.#set.add(key);
    if (this.#set.size === before) return false;
    // Grows by push (a packed array) until full, then overwrites the oldest slot.
    if (this.#ring.length < this.size) {
      this.#ring.push(key);
      return true;
    }
    if (this.#next >= this.size) this.#next = 0;
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#set.delete(evicted);
    this.#ring[this.#next] = key;
    this.#next += 1;
    return true;
  }

  /**
   * Replay: records a key in the ring only (no Set, no duplicate check), far cheaper for a
   * million records of which only the last `size` count; call `rebuild()` after the replay.
   */
  push(key: string): void {
    if (this.#ring.length < this.size) {
      this.#ring.push(key);
      return;
    }
    if (this.#next >= this.size) this.#next = 0;
    this.#ring[this.#next] = key;
    this.#next += 1;
  }

  /**
   * The Set from the ring, after `push()`es. A key pushed twice (a compaction's `seen` record
   * and a live event's `add`) keeps only its newest slot, so evicting the older one later
   * cannot forget a key still inside the window.
   */
  rebuild(): void {
    this.#set.clear();
    const n = this.#ring.length;
    const oldest = n < this.size ? 0 : this.#next % n;
    const kept: string[] = [];
    for (let i = n - 1; i >= 0; i -= 1) {
      const key = this.#ring[(oldest + i) % n];
      if (key === undefined || this.#set.has(key)) continue;
      this.#set.add(key);
      kept.push(key);
    }
    this.#ring = kept.reverse();
    this.#next = 0;
  }

  /** Forgets a key whose event could not be recorded (its slot is reused in turn). */
  delete(key: string): void {
    this.#set.delete(key);
  }

  /** Oldest first. */
  *keys(): IterableIterator<string> {
    const n = this.#ring.length;
    const oldest = n < this.size ? 0 : this.#next % n;
    for (let i = 0; i < n; i += 1) {
      const key = this.#ring[(oldest + i) % n];
      if (key !== undefined && this.#set.has(key)) yield key;
    }
  }
}

/** One `enqueue`'s new entries and their dedupe keys, while its journal write is in flight. */
export interface StagedBatch {
  entries: StoredEntry[];
  keys: string[];
  write: Promise<void>;
}

/**
 * The entries `enqueue` is writing, a batch per call: a Set of batches, not a Map of entries,
 * as a Map set and delete per event (and another per dedupe key) showed in profiles of intake.
 */
export class StagedEntries {
  #batches = new Set<StagedBatch>();
  #size = 0;

  /** Entries staged. */
  get size(): number {
    return this.#size;
  }

  add(batch: StagedBatch): void {
    this.#batches.add(batch);
    this.#size += batch.entries.length;
  }

  delete(batch: StagedBatch): void {
    if (this.#batches.delete(batch)) this.#size -= batch.entries.length;
  }

  /**
   * The write of the batch holding `key`, if one is in flight: a duplicate of an event still
   * being written waits for it. Only duplicates ask, and the batches in flight are few.
   */
  writeOf(key: string): Promise<void> | undefined {
    for (const batch of this.#batches) if (batch.keys.includes(key)) return batch.write;
    return undefined;
  }

  *values(): IterableIterator<StoredEntry> {
    for (const batch of this.#batches) yield* batch.entries;
  }
}

export class OutboxState {
  readonly pending = new EntryIndex<StoredEntry>();
  readonly dead = new Map<string, StoredEntry>();
  readonly contacts = new Map<string, ContactQueue>();
  readonly seen: SeenWindow;
  /** Being written by `enqueue`: not yet pending, but compaction must keep them. */
  readonly staged = new StagedEntries();

  /** Replay only: pending entries in the order they (re)joined, as queues must be rebuilt. */
  #order: StoredEntry[] = [];
  /** Replay only: where a retried entry last joined `#order` (its earlier places are stale). */
  #rejoined = new Map<StoredEntry, number>();
  /** Replay only: one string per contact (a million copies would live until the queues are built). */
  #contactIds = new Map<string, string>();

  constructor(dedupeWindow: number) {
    this.seen = new SeenWindow(dedupeWindow);
  }

  /** Pending entries, each contact's in queue order (what a compaction writes). */
  *pendingInQueueOrder(): IterableIterator<StoredEntry> {
    for (const queue of this.contacts.values()) yield* queue.head(Number.POSITIVE_INFINITY);
  }

  /** The contact id string shared by the contact's entries (one copy in memory). */
  intern(contactId: string): string {
    return this.contacts.get(contactId)?.contactId ?? contactId;
  }

  queueOf(contactId: string): ContactQueue {
    let queue = this.contacts.get(contactId);
    if (!queue) {
      queue = new ContactQueue(contactId);
      this.contacts.set(contactId, queue);
    }
    return queue;
  }

  addPending(entry: StoredEntry): void {
    this.pending.set(entry.id, entry);
    const queue = this.queueOf(entry.contactId);
    entry.contactId = queue.contactId;
    queue.push(entry);
  }

  /** Takes a pending entry out of its contact's queue (delivered, dead or purged). */
  removePending(entry: StoredEntry): void {
    this.pending.delete(entry.id);
    const queue = this.contacts.get(entry.contactId);
    if (!queue) return;
    queue.remove(entry);
    if (queue.size === 0 && !queue.busy) this.contacts.delete(entry.contactId);
  }

  /** Applies one `add` header of the journal scan. */
  replayAdd(header: AddHeader): void {
    this.seen.push(header.key);
    const entry: StoredEntry = {
      id: header.id,
      at: header.at,
      off: header.offset,
      len: header.length,
      contactId: this.#internReplayed(header.contactId),
      attempts: 0,
    };
    this.pending.set(entry.id, entry);
    this.#order.push(entry);
  }

  #internReplayed(contactId: string): string {
    const known = this.#contactIds.get(contactId);
    if (known !== undefined) return known;
    this.#contactIds.set(contactId, contactId);
    return contactId;
  }

  /** Applies any other record of the journal, in order. */
  replayOther(record: Exclude<JournalRecord, { op: 'add' }>): void {
    switch (record.op) {
      case 'done':
        this.pending.delete(record.id);
        break;
      case 'dead': {
        const entry = this.pending.get(record.id);
        if (!entry) break;
        this.pending.delete(record.id);
        Object.assign(entry, { reason: record.reason, deadAt: record.at, attempts: record.attempts });
        this.dead.set(entry.id, entry);
        break;
      }
      case 'retry': {
        const entry = this.dead.get(record.id);
        if (!entry) break;
        this.dead.delete(record.id);
        Object.assign(entry, { reason: undefined, deadAt: undefined, attempts: 0 });
        this.pending.set(entry.id, entry);
        this.#rejoined.set(entry, this.#order.length);
        this.#order.push(entry);
        break;
      }
      case 'purge':
        this.pending.delete(record.id);
        this.dead.delete(record.id);
        break;
      case 'seen':
        for (const key of record.keys) this.seen.push(key);
        break;
    }
  }

  /** After the replay: queues in journal order (a retried dead letter goes last). */
  buildQueues(): void {
    this.seen.rebuild();
    const order = this.#order;
    const rejoined = this.#rejoined;
    this.#order = [];
    this.#rejoined = new Map();
    this.#contactIds = new Map();
    for (let i = 0; i < order.length; i += 1) {
      const entry = order[i];
      // Delivered, dead or purged since, or this is a retried entry's older place.
      if (this.pending.get(entry.id) !== entry) continue;
      if (rejoined.size > 0 && (rejoined.get(entry) ?? i) !== i) continue;
      const queue = this.queueOf(entry.contactId);
      entry.contactId = queue.contactId;
      queue.push(entry);
    }
  }
}

/** The journal line that records an entry; `json` is the `BridgeEvent` as JSON. */
export function addLine(e: { id: string; key: string; at: number; contactId: string }, json: string): string {
  return `{"op":"add","id":${JSON.stringify(e.id)},"key":${JSON.stringify(e.key)},"at":${e.at},"c":${JSON.stringify(e.contactId)},"item":${json}}`;
}
