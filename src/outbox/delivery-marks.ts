/**
 * Delivery marks (`done`, `dead`) need no fsync: they reach the page cache at once, which
 * survives `kill -9`. A mark the disk refuses (full) is kept, oldest first, and written before
 * the next one: lost, its events would be delivered again after a restart.
 */
import type { Journal, JournalRecord } from './journal.js';

export class DeliveryMarks {
  #journal: Journal;
  #waiting: JournalRecord[] = [];

  constructor(journal: Journal) {
    this.#journal = journal;
  }

  /** Marks the disk refused so far. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Writes `record` after any still waiting; returns the disk's error while it refuses them. */
  write(record: JournalRecord): unknown {
    this.#waiting.push(record);
    return this.flush();
  }

  /** Writes the marks still waiting; returns the disk's error while it refuses them. */
  flush(): unknown {
    try {
      while (this.#waiting.length > 0) {
        this.#journal.appendNow(this.#waiting[0]);
        this.#waiting.shift();
      }
      return undefined;
    } catch (error) {
      return error ?? new Error('journal write failed');
    }
  }
}
