/**
 * The outbox's in-memory index, rebuilt from the journal at start: pending events in one FIFO
 * per contact (so a contact's events reach respond.io in order), dead letters, and a bounded
 * window of keys already seen (deduplication survives restarts and compactions).
 *
 * Payloads stay on disk: an entry holds its journal line's offset and length (about 150 bytes
 * of memory per pending event), and the event is read back when it is delivered or listed.
 *
 * Entries replayed at start are not objects at first, but rows of typed arrays (`ReplayedRows`,
 * 33 bytes each, off the JS heap), which the index and the queues refer to by number. A replay
 * that made an object, an id string and a boxed time per entry left a hundred thousand
 * survivors per 100k pending events, and that many make V8 grow its young generation to the
 * maximum (about 20 MB of RSS, given back only after seconds idle). An entry becomes an object
 * when something takes it (delivery, a listing, a dead letter); a compaction moves rows' lines
 * as rows (`moveLine`).
 */
import { freshSplit, type SplitState } from './batch.js';
import { EntryIndex, seqOf } from './entry-index.js';
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
  /** The replayed row it was made from (see `ReplayedRows`), or -1: how a queue still holding the row knows it. */
  row: number;
}

const FIRST_ROWS = 1024;

/** A typed array twice as long, holding `old`'s values first. */
function doubled<A extends Float64Array | Int32Array | Uint8Array>(old: A): A {
  const grown = new (old.constructor as new (length: number) => A)(old.length * 2);
  grown.set(old);
  return grown;
}

/**
 * Pending entries of the replay, one row each: where the line is, when it was enqueued, whose
 * it is, and its id as an id base (shared) and a seq, as the ids this outbox makes are.
 */
class ReplayedRows {
  count = 0;
  #off = new Float64Array(FIRST_ROWS);
  #at = new Float64Array(FIRST_ROWS);
  #len = new Int32Array(FIRST_ROWS);
  #contact = new Int32Array(FIRST_ROWS);
  #base = new Int32Array(FIRST_ROWS);
  #seq = new Int32Array(FIRST_ROWS);
  /** 1 once the row's entry was made (it is then the entry that counts, not the row). */
  #made = new Uint8Array(FIRST_ROWS);
  readonly #bases: string[] = [];
  readonly #baseIndex = new Map<string, number>();
  /** One string per contact (a million copies would be a million survivors). */
  readonly #contacts: string[] = [];
  readonly #contactIndex = new Map<string, number>();

  /** A row for `header`, or -1 when its id is not `<base>-<seq>` (it gets an object instead). */
  add(header: AddHeader): number {
    const dash = header.id.lastIndexOf('-');
    const seq = seqOf(header.id, dash);
    if (seq < 0) return -1;
    if (this.count === this.#off.length) this.#grow();
    const row = this.count;
    this.count += 1;
    this.#off[row] = header.offset;
    this.#at[row] = header.at;
    this.#len[row] = header.length;
    this.#contact[row] = this.#indexOf(this.#contacts, this.#contactIndex, header.contactId);
    this.#base[row] = this.#indexOf(this.#bases, this.#baseIndex, header.id.slice(0, dash));
    this.#seq[row] = seq;
    return row;
  }

  idOf(row: number): string {
    return `${this.#bases[this.#base[row]]}-${this.#seq[row].toString(36)}`;
  }

  offsetOf(row: number): number {
    return this.#off[row];
  }

  lengthOf(row: number): number {
    return this.#len[row];
  }

  /** A compaction moved the row's line. */
  moveTo(row: number, offset: number): void {
    this.#off[row] = offset;
  }

  wasMade(row: number): boolean {
    return this.#made[row] === 1;
  }

  contactOf(row: number): string {
    return this.#contacts[this.#contact[row]];
  }

  entry(row: number): StoredEntry {
    this.#made[row] = 1;
    return {
      id: this.idOf(row),
      at: this.#at[row],
      off: this.#off[row],
      len: this.#len[row],
      contactId: this.contactOf(row),
      attempts: 0,
      row,
    };
  }

  #indexOf(values: string[], index: Map<string, number>, value: string): number {
    let i = index.get(value);
    if (i === undefined) {
      i = values.length;
      values.push(value);
      index.set(value, i);
    }
    return i;
  }

  #grow(): void {
    this.#off = doubled(this.#off);
    this.#at = doubled(this.#at);
    this.#len = doubled(this.#len);
    this.#contact = doubled(this.#contact);
    this.#base = doubled(this.#base);
    this.#seq = doubled(this.#seq);
    this.#made = doubled(this.#made);
  }
}

/**
 * One contact's pending events, oldest first; removing the head is O(1). An item is an entry
 * or a replayed row (a number, see `ReplayedRows`), which `resolve` turns into its entry.
 */
export class ContactQueue {
  readonly contactId: string;
  #items: Array<StoredEntry | number | undefined> = [];
  #head = 0;
  readonly #resolve: (row: number) => StoredEntry;
  busy = false;
  /** Backing off until then (epoch ms). */
  notBefore = 0;
  /** Batch limit after a rejection (see batch.ts). */
  split: SplitState = freshSplit(Number.POSITIVE_INFINITY);

  constructor(contactId: string, resolve: (row: number) => StoredEntry) {
    this.contactId = contactId;
    this.#resolve = resolve;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Up to `n` entries from the head, oldest first. */
  head(n: number): StoredEntry[] {
    const out: StoredEntry[] = [];
    const items = this.#items;
    for (let i = this.#head; i < items.length && out.length < n; i += 1) {
      let entry = items[i];
      if (typeof entry === 'number') {
        entry = this.#resolve(entry);
        items[i] = entry;
      }
      if (entry) out.push(entry);
    }
    return out;
  }

  /** Every item, oldest first, rows as their numbers (what a compaction copies). */
  *items(): IterableIterator<StoredEntry | number> {
    for (let i = this.#head; i < this.#items.length; i += 1) {
      const item = this.#items[i];
      if (item !== undefined) yield item;
    }
  }

  push(entry: StoredEntry | number): void {
    this.#items.push(entry);
  }

  remove(entry: StoredEntry): void {
    const first = this.#items[this.#head];
    if (first === entry || (entry.row >= 0 && first === entry.row)) {
      this.#items[this.#head] = undefined;
      this.#head += 1;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return;
    }
    let index = this.#items.indexOf(entry, this.#head);
    if (index < 0 && entry.row >= 0) index = this.#items.indexOf(entry.row, this.#head);
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
  /** The replay's rows; undefined when it made none. */
  #rows: ReplayedRows | undefined = new ReplayedRows();
  readonly pending = new EntryIndex<StoredEntry>((row) => this.#rowsOrThrow().entry(row));
  readonly dead = new Map<string, StoredEntry>();
  readonly contacts = new Map<string, ContactQueue>();
  readonly seen: SeenWindow;
  /** Being written by `enqueue`: not yet pending, but compaction must keep them. */
  readonly staged = new StagedEntries();

  /** Replay only: pending entries (or rows) in the order they (re)joined, as queues must be rebuilt. */
  #order: Array<StoredEntry | number> = [];
  /** Replay only: where a retried entry last joined `#order` (its earlier places are stale). */
  #rejoined = new Map<StoredEntry, number>();
  /** A queue's replayed row, as its entry (the index makes it once, and keeps it). */
  readonly #resolveRow = (row: number): StoredEntry => {
    const entry = this.pending.get(this.#rowsOrThrow().idOf(row));
    // Cannot happen: a row leaves its queue (`removePending`) whenever it leaves the index.
    if (!entry) throw new Error(`outbox index: replayed row ${row} is queued but not pending`);
    return entry;
  };

  constructor(dedupeWindow: number) {
    this.seen = new SeenWindow(dedupeWindow);
  }

  #rowsOrThrow(): ReplayedRows {
    if (!this.#rows) throw new Error('outbox index: a row is referenced but the replay made none');
    return this.#rows;
  }

  /** Pending entries (rows as their numbers), each contact's in queue order: what a compaction writes. */
  *pendingInQueueOrder(): IterableIterator<StoredEntry | number> {
    for (const queue of this.contacts.values()) yield* queue.items();
  }

  /** Where an entry's or a row's journal line is. */
  offsetOf(item: StoredEntry | number): number {
    return typeof item === 'number' ? this.#rowsOrThrow().offsetOf(item) : item.off;
  }

  lengthOf(item: StoredEntry | number): number {
    return typeof item === 'number' ? this.#rowsOrThrow().lengthOf(item) : item.len;
  }

  /**
   * A compaction moved the line of an entry or a row. A row's entry may have been made while
   * the copy ran, or by a listing while its queue still held the row: that entry moves too
   * (looked up only then: a swap moving a million rows makes no id strings).
   */
  moveLine(item: StoredEntry | number, offset: number): void {
    if (typeof item !== 'number') {
      item.off = offset;
      return;
    }
    const rows = this.#rowsOrThrow();
    rows.moveTo(item, offset);
    if (!rows.wasMade(item)) return;
    const id = rows.idOf(item);
    const made = this.pending.raw(id) ?? this.dead.get(id);
    if (typeof made === 'object' && made.row === item) made.off = offset;
  }

  /** The contact id string shared by the contact's entries (one copy in memory). */
  intern(contactId: string): string {
    return this.contacts.get(contactId)?.contactId ?? contactId;
  }

  queueOf(contactId: string): ContactQueue {
    let queue = this.contacts.get(contactId);
    if (!queue) {
      queue = new ContactQueue(contactId, this.#resolveRow);
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

  /** Applies one `add` header of the journal scan: a row, or an entry when the id needs one. */
  replayAdd(header: AddHeader): void {
    this.seen.push(header.key);
    const rows = this.#rowsOrThrow();
    const row = rows.add(header);
    if (row >= 0 && this.pending.setRow(header.id, row)) {
      this.#order.push(row);
      return;
    }
    const entry: StoredEntry = {
      id: header.id,
      at: header.at,
      off: header.offset,
      len: header.length,
      contactId: header.contactId,
      attempts: 0,
      row: -1,
    };
    this.pending.set(entry.id, entry);
    this.#order.push(entry);
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
    const rows = this.#rowsOrThrow();
    this.#order = [];
    this.#rejoined = new Map();
    for (let i = 0; i < order.length; i += 1) {
      const item = order[i];
      if (typeof item === 'number') {
        // Delivered, dead or purged since (a dead letter's slot holds its entry now).
        if (this.pending.raw(rows.idOf(item)) !== item) continue;
        this.queueOf(rows.contactOf(item)).push(item);
        continue;
      }
      // Delivered, dead or purged since, or this is a retried entry's older place.
      if (this.pending.get(item.id) !== item) continue;
      if (rejoined.size > 0 && (rejoined.get(item) ?? i) !== i) continue;
      const queue = this.queueOf(item.contactId);
      item.contactId = queue.contactId;
      queue.push(item);
    }
    if (rows.count === 0) this.#rows = undefined;
  }
}

/** The journal line that records an entry; `json` is the `BridgeEvent` as JSON. */
export function addLine(e: { id: string; key: string; at: number; contactId: string }, json: string): string {
  return `{"op":"add","id":${JSON.stringify(e.id)},"key":${JSON.stringify(e.key)},"at":${e.at},"c":${JSON.stringify(e.contactId)},"item":${json}}`;
}
