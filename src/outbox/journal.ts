/**
 * An append-only NDJSON journal with group commit. Appends are buffered and written with one
 * synchronous write per batch, so every record's byte offset is known (pending payloads stay
 * on disk; the outbox keeps only offsets, see state.ts); a batch is answered once an fsync
 * that started after its write completes, and the next batch is written while it runs.
 *
 * A write that fails (ENOSPC) truncates the file back to its last whole record before anything
 * else is written, and fails every append of that batch, so nothing acknowledged is glued to a
 * partial line. Compaction (compact.ts) copies live records into a new file in the background
 * and swaps it in here, between batches, without stopping intake.
 */
import {
  closeSync,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { BridgeEvent } from '../bridge/adapter.js';
import { messageOf } from '../errors.js';
import { OutboxUnavailableError } from './types.js';

export type JournalRecord =
  | { op: 'add'; id: string; key: string; at: number; c?: string; item: BridgeEvent }
  | { op: 'done'; id: string; at: number }
  | { op: 'dead'; id: string; at: number; reason: string; attempts: number }
  | { op: 'retry'; id: string; at: number }
  | { op: 'purge'; id: string }
  /** Written by compaction: keys of delivered events still inside the deduplication window. */
  | { op: 'seen'; keys: string[] };

export const JOURNAL_FILE = 'journal.ndjson';
/** Unreadable records found at start are moved here (appended, never read back). */
export const QUARANTINE_FILE = 'journal.quarantine.ndjson';

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What `compact.ts` hands over for the swap: the new file and how to move offsets. */
export interface Swap {
  /** Path of the new file, fully written and fsynced up to `copiedUpTo` of the old one. */
  temp: string;
  fd: number;
  /** Size of the new file before the old file's tail is appended. */
  size: number;
  /** Old-file offset where the copy ended; later records are copied verbatim at the swap. */
  copiedUpTo: number;
  /** Called with the new file's offset of the old tail (old offset `copiedUpTo`). */
  relocate: (tailBase: number) => void;
  /** Records in the new file before the tail, and `records` of the journal when the copy ended. */
  records: number;
  recordsAtCopy: number;
}

export class Journal {
  readonly dir: string;
  readonly path: string;
  #fd: number;
  /** Bytes on disk (written), not counting the buffer. */
  #size: number;
  #buffer: string[] = [];
  #bufferBytes = 0;
  /** Appends whose lines are still in the buffer. */
  #waiters: Waiter[] = [];
  /** Appends whose lines are written, waiting for the next fsync. */
  #written: Waiter[] = [];
  #syncing = false;
  #scheduled = false;
  #closed = false;
  /** A failed truncation left bytes past this size: cut them before the next write. */
  #dirtyAt: number | undefined;
  #swap: { swap: Swap; resolve: () => void; reject: (e: unknown) => void } | undefined;
  #idle: Array<() => void> = [];
  /** Records in the file (approximate): what compaction is weighed against. */
  records = 0;
  /** Writes that failed (disk full, I/O error) since open. */
  failedWrites = 0;

  private constructor(dir: string, fd: number, records: number) {
    this.dir = dir;
    this.path = join(dir, JOURNAL_FILE);
    this.#fd = fd;
    this.#size = fstatSync(fd).size;
    this.records = records;
  }

  /** Opens the journal to read records back (`outbox list` while a bridge runs); appends fail. */
  static openRead(dir: string): Journal {
    return new Journal(dir, openSync(join(dir, JOURNAL_FILE), 'r'), 0);
  }

  /** Opens (creating) the journal for appending; `existing` is how many records it already holds. */
  static open(dir: string, existing = 0): Journal {
    return new Journal(dir, openSync(join(dir, JOURNAL_FILE), 'a+', 0o600), existing);
  }

  /** Bytes written so far (the offset of the next record once the buffer is flushed). */
  get size(): number {
    return this.#size + this.#bufferBytes;
  }

  /**
   * Appends NDJSON lines (without their newline); returns each line's byte offset and a
   * promise that resolves once they are durable (fsynced) and rejects if they could not be.
   */
  append(lines: readonly string[]): { offsets: number[]; lengths: number[]; durable: Promise<void> } {
    if (this.#closed) throw new OutboxUnavailableError('the journal is closed');
    const offsets: number[] = [];
    const lengths: number[] = [];
    for (const line of lines) {
      const length = Buffer.byteLength(line);
      offsets.push(this.size);
      lengths.push(length);
      this.#buffer.push(line, '\n');
      this.#bufferBytes += length + 1;
    }
    this.records += lines.length;
    const durable = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#schedule();
    return { offsets, lengths, durable };
  }

  /** Appends records (serialised here); resolves once durable. */
  appendRecords(records: readonly JournalRecord[]): Promise<void> {
    return this.append(records.map((record) => JSON.stringify(record))).durable;
  }

  /**
   * Writes one record (and whatever is buffered) at once, without waiting for an fsync: it is
   * in the page cache before this returns, so it survives `kill -9` (not a power cut). Used for
   * delivery marks, where every millisecond between respond.io's answer and the mark is a
   * window for a duplicate. Throws when the write fails (the file is repaired first).
   */
  appendNow(record: JournalRecord): void {
    if (this.#closed) return;
    const line = JSON.stringify(record);
    this.#buffer.push(line, '\n');
    this.#bufferBytes += Buffer.byteLength(line) + 1;
    this.records += 1;
    this.#write();
  }

  /** Reads `length` bytes at `offset` (a record written earlier). */
  read(offset: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.#fd, buffer, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? buffer : buffer.subarray(0, done);
  }

  /** The old file's fd, for compaction to read from (valid until the swap). */
  get fd(): number {
    return this.#fd;
  }

  /** Buffered lines reach the file now (compaction's snapshot needs a stable end). */
  flush(): void {
    if (this.#bufferBytes > 0) this.#write();
  }

  /** Swaps in a compacted file between batches (no fsync in flight); resolves once done. */
  swap(swap: Swap): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#swap = { swap, resolve, reject };
      if (!this.#syncing) this.#doSwap();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#syncing) return;
    this.#scheduled = true;
    // Let the other requests of this turn join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#syncing) this.#commit();
    });
  }

  /** Writes the buffer (repairing the file first if an earlier write failed). */
  #write(): void {
    const text = this.#buffer.join('');
    this.#buffer = [];
    const bytes = this.#bufferBytes;
    this.#bufferBytes = 0;
    const start = this.#size;
    try {
      this.#repair();
      const data = Buffer.from(text, 'utf8');
      let done = 0;
      while (done < data.length) done += writeSync(this.#fd, data, done, data.length - done);
      this.#size = start + bytes;
      this.#written.push(...this.#waiters.splice(0));
    } catch (error) {
      this.failedWrites += 1;
      this.#dirtyAt = start;
      try {
        this.#repair();
      } catch {
        // Still dirty: the next write tries again first, and fails if it cannot.
      }
      const failed = this.#waiters.splice(0);
      const wrapped = new OutboxUnavailableError(`cannot write the outbox journal: ${messageOf(error)}`);
      for (const waiter of failed) waiter.reject(wrapped);
      throw wrapped;
    }
  }

  /** Cuts a partial record left by a failed write; stays dirty (refusing writes) while it cannot. */
  #repair(): void {
    if (this.#dirtyAt === undefined) return;
    ftruncateSync(this.#fd, this.#dirtyAt);
    this.#size = this.#dirtyAt;
    this.#dirtyAt = undefined;
  }

  /** One group commit: write what is buffered, fsync, answer, and go again if more came. */
  #commit(): void {
    try {
      if (this.#bufferBytes > 0) this.#write();
    } catch {
      // #write rejected the appends of the failed write.
    }
    const batch = this.#written.splice(0);
    if (batch.length === 0) {
      this.#settleIdle();
      return;
    }
    this.#syncing = true;
    fdatasync(this.#fd, (error) => {
      this.#syncing = false;
      if (error) {
        this.failedWrites += 1;
        const wrapped = new OutboxUnavailableError(`cannot sync the outbox journal: ${error.message}`);
        for (const waiter of batch) waiter.reject(wrapped);
      } else {
        for (const waiter of batch) waiter.resolve();
      }
      this.#after();
    });
  }

  #after(): void {
    if (this.#swap) this.#doSwap();
    this.#commit();
  }

  #settleIdle(): void {
    if (this.#syncing || this.#waiters.length > 0 || this.#written.length > 0) return;
    for (const done of this.#idle.splice(0)) done();
  }

  #doSwap(): void {
    const pending = this.#swap;
    this.#swap = undefined;
    if (!pending) return;
    const { swap } = pending;
    try {
      this.flush();
      // The old file's tail (records since the copy ended) goes over verbatim.
      const tailLength = this.#size - swap.copiedUpTo;
      let written = 0;
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(tailLength, 1), 1 << 20));
      while (written < tailLength) {
        const n = readSync(this.#fd, chunk, 0, Math.min(chunk.length, tailLength - written), swap.copiedUpTo + written);
        if (n === 0) break;
        let out = 0;
        while (out < n) out += writeSync(swap.fd, chunk, out, n - out, swap.size + written + out);
        written += n;
      }
      if (written !== tailLength) throw new Error('the journal changed under compaction');
      pending.swap.relocate(swap.size);
      renameOver(swap);
      closeSync(this.#fd);
      this.#fd = openSync(this.path, 'a+', 0o600);
      closeSync(swap.fd);
      this.#size = swap.size + tailLength;
      this.records = swap.records + (this.records - swap.recordsAtCopy);
      pending.resolve();
    } catch (error) {
      try {
        closeSync(swap.fd);
        rmSync(swap.temp, { force: true });
      } catch {
        // Nothing more to clean.
      }
      pending.reject(error);
    }
  }

  /** Waits for buffered appends and their fsyncs, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#bufferBytes > 0 || this.#waiters.length > 0 || this.#written.length > 0 || this.#syncing) {
      await new Promise<void>((resolve) => {
        this.#idle.push(resolve);
        if (!this.#syncing) this.#commit();
      });
    }
    this.#closed = true;
    closeSync(this.#fd);
  }
}

function renameOver(swap: Swap): void {
  fsyncSync(swap.fd);
  const path = join(swap.temp, '..', JOURNAL_FILE);
  renameSync(swap.temp, path);
  syncDir(join(swap.temp, '..'));
}

/** Makes a rename durable: fsync the folder that holds the entry. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on folders; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
