/**
 * The send queue's journal: append-only NDJSON in its own folder (the outbox's journal is
 * typed for its own records). Group commit: lines appended while an fsync runs share the
 * next one. `writeNow` puts a line in the page cache at once (survives `kill -9`, not a power
 * cut) for marks where every millisecond is a window for a duplicate. Compaction is
 * synchronous, so no append can slip between snapshot and rename.
 *
 * A write the disk refuses (full) may leave part of a line: the file is cut back to its last
 * whole record before the next write, so the next record is not glued to the torn one (and
 * lost with it on replay). A mark `writeNow` could not write is kept and written before the next.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  write,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../lib/atomic-write.js';

export const SEND_JOURNAL = 'sends.ndjson';
const writeAsync = promisify(write);
const syncAsync = promisify(fdatasync);

export const SEND_QUARANTINE = 'sends.quarantine.ndjson';

export interface SendJournalScan {
  records: unknown[];
  /** Lines that are not a record (torn by a crash, or corrupted): moved aside by `quarantine`. */
  unreadable: string[];
  /** The readable records' lines, as the journal should hold them. */
  readable: string[];
}

/** Every readable record of the journal, and the lines that are not one. */
export function readSendJournal(dir: string): SendJournalScan {
  const scan: SendJournalScan = { records: [], unreadable: [], readable: [] };
  const path = join(dir, SEND_JOURNAL);
  if (!existsSync(path)) return scan;
  const lines = readFileSync(path, 'utf8').split('\n');
  // The last piece is '' after a whole last record, or a line torn by a crash.
  const torn = lines.pop() as string;
  for (const line of lines) {
    if (!line) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      record = undefined;
    }
    if (record && typeof record === 'object' && typeof (record as { id?: unknown }).id === 'string') {
      scan.records.push(record);
      scan.readable.push(line);
    } else scan.unreadable.push(line);
  }
  if (torn) scan.unreadable.push(torn);
  return scan;
}

/**
 * Moves unreadable lines to `sends.quarantine.ndjson` (appended, for a person to look at) and
 * rewrites the journal without them, atomically; returns the warning to log, if any.
 */
export async function quarantineSendJournal(dir: string, scan: SendJournalScan): Promise<string | undefined> {
  if (scan.unreadable.length === 0) return undefined;
  const quarantine = join(dir, SEND_QUARANTINE);
  appendFileSync(quarantine, scan.unreadable.map((line) => `${line}\n`).join(''), { mode: 0o600 });
  await writeFileAtomic(join(dir, SEND_JOURNAL), scan.readable.map((line) => `${line}\n`).join(''));
  const count = scan.unreadable.length;
  return `send queue journal: ${count} unreadable record${count === 1 ? '' : 's'} moved to ${quarantine}; the rest replayed`;
}

export class SendJournal {
  readonly path: string;
  #fd: number;
  #waiting: Array<{ text: string; resolve: () => void; reject: (e: unknown) => void }> = [];
  #busy = false;
  /** An async append's write is under way: a repair now would cut it. */
  #writing = false;
  /** Bytes of whole records in the file. */
  #end: number;
  /** A write failed: anything past `#end` may be a torn line. */
  #dirty = false;
  /** Marks `writeNow` could not write yet, oldest first. */
  #unwritten: string[] = [];
  records: number;
  failedWrites = 0;

  constructor(dir: string, records: number) {
    this.path = join(dir, SEND_JOURNAL);
    this.#fd = openSync(this.path, 'a', 0o600);
    this.#end = fstatSync(this.#fd).size;
    this.records = records;
  }

  /** Appends lines (each ending in a newline); resolves once fsynced. */
  append(text: string, count: number): Promise<void> {
    this.records += count;
    return new Promise((resolve, reject) => {
      this.#waiting.push({ text, resolve, reject });
      if (!this.#busy) void this.#drain();
    });
  }

  /** Writes `line` at once, without an fsync; if the disk refuses, it goes before the next write. */
  writeNow(line: string): void {
    this.#unwritten.push(line);
    this.records += 1;
    if (!this.#writing) this.#writeMarks();
  }

  #writeMarks(): void {
    if (this.#unwritten.length === 0) return;
    try {
      this.#repair();
      const buffer = Buffer.from(this.#unwritten.join(''), 'utf8');
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(this.#fd, buffer, offset, buffer.length - offset);
      this.#end += buffer.length;
      this.#unwritten = [];
    } catch {
      this.#failed();
    }
  }

  /** Cuts a torn line left by a failed write (throws while the disk still refuses). */
  #repair(): void {
    if (!this.#dirty) return;
    ftruncateSync(this.#fd, this.#end);
    this.#dirty = false;
  }

  #failed(): void {
    this.#dirty = true;
    this.failedWrites += 1;
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting;
        this.#waiting = [];
        try {
          this.#writeMarks();
          this.#repair();
          const buffer = Buffer.from(batch.map((b) => b.text).join(''), 'utf8');
          let offset = 0;
          this.#writing = true;
          try {
            while (offset < buffer.length) {
              offset += (await writeAsync(this.#fd, buffer, offset, buffer.length - offset)).bytesWritten;
            }
          } catch (error) {
            this.#failed();
            throw error;
          } finally {
            this.#writing = false;
          }
          this.#end += buffer.length;
          this.#writeMarks();
          await syncAsync(this.#fd);
          for (const b of batch) b.resolve();
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Replaces the file with `text` (the live records), when no append is in progress. False when
   * it did not (busy, or the disk refused the copy: the journal stays as it was, tried later).
   */
  compact(text: string, count: number): boolean {
    if (this.#busy || this.#waiting.length > 0) return false;
    const temp = `${this.path}.compact`;
    try {
      writeFileSync(temp, text, { mode: 0o600 });
      const fd = openSync(temp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.path);
    } catch {
      rmSync(temp, { force: true });
      return false;
    }
    closeSync(this.#fd);
    this.#fd = openSync(this.path, 'a', 0o600);
    this.#end = Buffer.byteLength(text);
    this.#dirty = false;
    // The snapshot holds what those marks said.
    this.#unwritten = [];
    this.records = count;
    return true;
  }

  /** Waits for queued appends, fsyncs what `writeNow` wrote, closes. */
  async close(): Promise<void> {
    while (this.#busy || this.#waiting.length > 0) await new Promise((r) => setTimeout(r, 2));
    this.#writeMarks();
    try {
      fdatasyncSync(this.#fd);
    } catch {
      // Closing anyway.
    }
    closeSync(this.#fd);
  }
}
