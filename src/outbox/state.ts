/**
 * The outbox's in-memory model, rebuilt from the journal at start: pending events in one FIFO
 * per contact (so a contact's events reach respond.io in order), dead letters, and a bounded
 * window of keys already seen (deduplication survives restarts and compactions).
 * Payloads are kept as JSON text, which costs far less memory than the parsed objects.
 */
import type { BridgeEvent } from '../bridge/adapter.js';
import { freshSplit, type SplitState } from './batch.js';
import type { JournalRecord } from './journal.js';
import type { OutboxEntry } from './types.js';

export interface StoredEntry {
  id: string;
  key: string;
  at: number;
  contactId: string;
  /** The `BridgeEvent` as JSON. */
  json: string;
  attempts: number;
  lastError?: string;
  reason?: string;
  deadAt?: number;
}

/** One contact's pending events, oldest first; removing the head is O(1). */
export class ContactQueue {
  #items: Array<StoredEntry | undefined> = [];
  #head = 0;
  busy = false;
  /** Backing off until then (epoch ms). */
  notBefore = 0;
  /** Batch limit after a rejection (see batch.ts). */
  split: SplitState = freshSplit(Number.POSITIVE_INFINITY);

  /** Up to `n` entries from the head, oldest first. */
  head(n: number): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (let i = this.#head; i < this.#items.length && out.length < n; i += 1) {
      const entry = this.#items[i];
      if (entry) out.push(entry);
    }
    return out;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  peek(): StoredEntry | undefined {
    return this.#items[this.#head];
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

/** Public view of a stored entry. */
export function toEntry(stored: StoredEntry): OutboxEntry {
  const entry: OutboxEntry = {
    id: stored.id,
    key: stored.key,
    enqueuedAt: stored.at,
    item: JSON.parse(stored.json) as BridgeEvent,
    attempts: stored.attempts,
  };
  if (stored.lastError !== undefined) entry.lastError = stored.lastError;
  if (stored.reason !== undefined) entry.reason = stored.reason;
  if (stored.deadAt !== undefined) entry.deadAt = stored.deadAt;
  return entry;
}

export class OutboxState {
  readonly pending = new Map<string, StoredEntry>();
  readonly dead = new Map<string, StoredEntry>();
  readonly contacts = new Map<string, ContactQueue>();
  /** Insertion-ordered set of keys seen; the oldest are forgotten past `dedupeWindow`. */
  readonly seen = new Map<string, true>();
  /** Being written by `enqueue`: not yet pending, but compaction must keep them. */
  readonly staged = new Map<string, StoredEntry>();
  readonly dedupeWindow: number;

  constructor(dedupeWindow: number) {
    this.dedupeWindow = dedupeWindow;
  }

  remember(key: string): void {
    this.seen.delete(key);
    this.seen.set(key, true);
    if (this.seen.size > this.dedupeWindow) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  queueOf(contactId: string): ContactQueue {
    let queue = this.contacts.get(contactId);
    if (!queue) {
      queue = new ContactQueue();
      this.contacts.set(contactId, queue);
    }
    return queue;
  }

  addPending(entry: StoredEntry): void {
    this.pending.set(entry.id, entry);
    this.queueOf(entry.contactId).push(entry);
  }

  /** Takes a pending entry out of its contact's queue (delivered, dead or purged). */
  removePending(entry: StoredEntry): void {
    this.pending.delete(entry.id);
    const queue = this.contacts.get(entry.contactId);
    if (!queue) return;
    queue.remove(entry);
    if (queue.size === 0 && !queue.busy) this.contacts.delete(entry.contactId);
  }

  /** Applies the journal, oldest record first. */
  replay(records: Iterable<JournalRecord>): void {
    for (const record of records) {
      switch (record.op) {
        case 'add': {
          const entry: StoredEntry = {
            id: record.id,
            key: record.key,
            at: record.at,
            contactId: record.item.contactId,
            json: JSON.stringify(record.item),
            attempts: 0,
          };
          this.remember(record.key);
          this.pending.set(entry.id, entry);
          break;
        }
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
          break;
        }
        case 'purge':
          this.pending.delete(record.id);
          this.dead.delete(record.id);
          break;
        case 'seen':
          for (const key of record.keys) this.remember(key);
          break;
      }
    }
    // Queues are built after the replay, in enqueue order (a retried dead letter goes last).
    const ordered = [...this.pending.values()].sort((a, b) => a.at - b.at);
    this.pending.clear();
    for (const entry of ordered) this.addPending(entry);
  }

  /** The journal's live content: seen keys first, then pending and dead entries. */
  snapshot(): string {
    const lines: string[] = [];
    const keys = [...this.seen.keys()];
    for (let i = 0; i < keys.length; i += 1000) {
      lines.push(JSON.stringify({ op: 'seen', keys: keys.slice(i, i + 1000) }));
    }
    const live = [...this.pending.values(), ...this.staged.values(), ...this.dead.values()];
    for (const entry of live.sort((a, b) => a.at - b.at)) {
      lines.push(addLine(entry));
      if (entry.deadAt !== undefined) {
        lines.push(
          JSON.stringify({
            op: 'dead',
            id: entry.id,
            at: entry.deadAt,
            reason: entry.reason,
            attempts: entry.attempts,
          }),
        );
      }
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
}

/** The journal line that records an entry (built from its JSON text, not re-serialised). */
export function addLine(e: StoredEntry): string {
  return `{"op":"add","id":${JSON.stringify(e.id)},"key":${JSON.stringify(e.key)},"at":${e.at},"item":${e.json}}`;
}
