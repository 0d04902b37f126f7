/**
 * An append-only NDJSON journal with group commit: appends made while a write + fsync is in
 * progress are written together and share the next fsync, so thousands of concurrent
 * webhook intakes cost a handful of fsyncs. Compaction rewrites the live records into a new
 * file and renames it over the old one (atomic on POSIX), inside the same queue as appends.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BridgeEvent } from '../bridge/adapter.js';

export type JournalRecord =
  | { op: 'add'; id: string; key: string; at: number; item: BridgeEvent }
  | { op: 'done'; id: string; at: number }
  | { op: 'dead'; id: string; at: number; reason: string; attempts: number }
  | { op: 'retry'; id: string; at: number }
  | { op: 'purge'; id: string }
  /** Written by compaction: keys of delivered events still inside the deduplication window. */
  | { op: 'seen'; keys: string[] };

export const JOURNAL_FILE = 'journal.ndjson';
/** fsyncs allowed in flight at once; more batches wait. */
const MAX_SYNCS = 3;

interface Pending {
  text: string;
  durable: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Reads every complete record; a torn last line (the process died mid-write, before the
 * write was acknowledged to anyone) is cut off so later appends start on a clean line.
 */
export function readJournal(dir: string, options: { repair?: boolean } = {}): JournalRecord[] {
  const path = join(dir, JOURNAL_FILE);
  if (!existsSync(path)) return [];
  const data = readFileSync(path);
  const end = data.lastIndexOf(0x0a) + 1;
  if (end < data.length && options.repair) truncateSync(path, end);
  const records: JournalRecord[] = [];
  for (const line of data.subarray(0, end).toString('utf8').split('\n')) {
    if (!line) continue;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      // A corrupt line in the middle cannot come from our own appends; skip it rather than refuse to start.
    }
  }
  return records;
}

export class Journal {
  readonly dir: string;
  readonly path: string;
  #handle: FileHandle;
  #queue: Pending[] = [];
  #running = false;
  #compacting: (() => Promise<string>) | undefined;
  /** Lines written by `appendNow` while a compaction runs, re-written into the new file. */
  #carry: string[] | undefined;
  /** fsyncs in flight (see #drain). */
  #syncing = new Set<Promise<void>>();
  /** True while the old file is closed and the new one not yet open. */
  #swapping = false;
  /** Records written since the last compaction (or open). */
  records = 0;

  private constructor(dir: string, handle: FileHandle, records: number) {
    this.dir = dir;
    this.path = join(dir, JOURNAL_FILE);
    this.#handle = handle;
    this.records = records;
  }

  /** Opens (creating) the journal for appending; `existing` is how many records it already holds. */
  static async open(dir: string, existing = 0): Promise<Journal> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const handle = await open(join(dir, JOURNAL_FILE), 'a', 0o600);
    return new Journal(dir, handle, existing);
  }

  /** Appends records; resolves once written (and fsynced when `durable`). */
  append(records: readonly JournalRecord[], durable = true): Promise<void> {
    const text = records.map((record) => `${JSON.stringify(record)}\n`).join('');
    return this.appendText(text, records.length, durable);
  }

  /**
   * Writes one record at once, synchronously, without fsync: it is in the page cache before
   * this returns, so it survives `kill -9` (not a power cut). Used for delivery marks, where
   * every millisecond between respond.io's answer and the mark is a window for a duplicate.
   */
  appendNow(record: JournalRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    if (!this.#swapping) writeSync(this.#handle.fd, line);
    this.#carry?.push(line);
    this.records += 1;
  }

  /** Appends pre-serialised NDJSON lines (each ending in a newline). */
  appendText(text: string, count: number, durable = true): Promise<void> {
    this.records += count;
    return new Promise((resolve, reject) => {
      this.#queue.push({ text, durable, resolve, reject });
      void this.#drain();
    });
  }

  /** Replaces the journal with `snapshot()`'s lines, taken when no append is in progress. */
  compact(snapshot: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#compacting = async () => snapshot();
      this.#queue.push({ text: '', durable: false, resolve, reject });
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        const durable = batch.some((entry) => entry.durable);
        try {
          const text = batch.map((entry) => entry.text).join('');
          if (text) await this.#writeAll(Buffer.from(text, 'utf8'));
          if (this.#compacting) {
            if (durable) await this.#handle.datasync();
            await Promise.allSettled([...this.#syncing]);
            await this.#rewrite();
            for (const entry of batch) entry.resolve();
            continue;
          }
        } catch (error) {
          for (const entry of batch) entry.reject(error);
          continue;
        }
        // The next batch may be written while this one's fsync runs: each batch is answered
        // only after an fsync that started once its own write had completed.
        const settle = (durable ? this.#handle.datasync() : Promise.resolve()).then(
          () => {
            for (const entry of batch) entry.resolve();
          },
          (error: unknown) => {
            for (const entry of batch) entry.reject(error);
          },
        );
        this.#syncing.add(settle);
        void settle.finally(() => this.#syncing.delete(settle));
        if (this.#syncing.size >= MAX_SYNCS) await Promise.race(this.#syncing);
      }
    } finally {
      this.#running = false;
    }
  }

  async #writeAll(buffer: Buffer): Promise<void> {
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await this.#handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
  }

  async #rewrite(): Promise<void> {
    const make = this.#compacting;
    this.#compacting = undefined;
    if (!make) return;
    this.#carry = [];
    const text = await make();
    const temp = `${this.path}.compact`;
    await writeFile(temp, text, { mode: 0o600, flush: true });
    await rename(temp, this.path);
    syncDir(this.dir);
    this.#swapping = true;
    try {
      await this.#handle.close();
      this.#handle = await open(this.path, 'a', 0o600);
    } finally {
      this.#swapping = false;
    }
    const carried = this.#carry;
    this.#carry = undefined;
    if (carried.length > 0) await this.#writeAll(Buffer.from(carried.join(''), 'utf8'));
    this.records = (text ? text.split('\n').length - 1 : 0) + carried.length;
  }

  /** Waits for queued appends and their fsyncs, then closes the file. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#queue.push({ text: '', durable: true, resolve, reject: () => resolve() });
      void this.#drain();
    });
    await Promise.allSettled([...this.#syncing]);
    await this.#handle.close().catch(() => {});
  }
}

/** Makes a rename durable: fsync the folder that holds the entry. */
function syncDir(dir: string): void {
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
