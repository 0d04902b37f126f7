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
import { SeenWindow } from './seen-window.js';

export { SeenWindow };

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

/** One `enqueue`'s new entries and their dedupe keys, while its journal write is in flight. */
export interface StagedBatch {
  entries: StoredEntry[];
  keys: string[];
  write: Promise<void>;
}

/**
 * The entries `enqueue` is writing, a batch per call, oldest first: an array of batches, not a
 * Map of entries (a Map set and delete per event, and another per dedupe key, showed in
 * profiles of intake), nor a Set (a Set of fresh objects pays for an identity hash on each).
 * Batches become durable in the order they were written, so the one removed is nearly always
 * the first.
 */
export class StagedEntries {
  #batches: StagedBatch[] = [];
  #size = 0;

  /** Entries staged. */
  get size(): number {
    return this.#size;
  }

  add(batch: StagedBatch): void {
    this.#batches.push(batch);
    this.#size += batch.entries.length;
  }

  delete(batch: StagedBatch): void {
    const batches = this.#batches;
    const index = batches[0] === batch ? 0 : batches.indexOf(batch);
    if (index < 0) return;
    if (index === 0) batches.shift();
    else batches.splice(index, 1);
    this.#size -= batch.entries.length;
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

  /** Makes an entry pending, last in its contact's queue; returns the queue. */
  addPending(entry: StoredEntry): ContactQueue {
    this.pending.set(entry.id, entry);
    const queue = this.queueOf(entry.contactId);
    entry.contactId = queue.contactId;
    queue.push(entry);
    return queue;
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
