/**
 * The send queue's journal: append-only NDJSON in its own folder (the outbox's journal is
 * typed for its own records). Group commit: lines appended while an fsync runs share the
 * next one. `writeNow` puts a line in the page cache at once (survives `kill -9`, not a power
 * cut) for marks where every millisecond is a window for a duplicate. Compaction is
 * synchronous, so no append can slip between snapshot and rename.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  write,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const SEND_JOURNAL = 'sends.ndjson';
const writeAsync = promisify(write);
const syncAsync = promisify(fdatasync);

/** Every complete record; a torn last line is cut off (with `repair`). Corrupt lines are skipped. */
export function readSendJournal(dir: string, repair = false): unknown[] {
  const path = join(dir, SEND_JOURNAL);
  if (!existsSync(path)) return [];
  const data = readFileSync(path);
  const end = data.lastIndexOf(0x0a) + 1;
  if (repair && end < data.length) truncateSync(path, end);
  const out: unknown[] = [];
  for (const line of data.subarray(0, end).toString('utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // Not from our appends (they end in a newline only once whole): skip, do not refuse to start.
    }
  }
  return out;
}

export class SendJournal {
  readonly path: string;
  #fd: number;
  #waiting: Array<{ text: string; resolve: () => void; reject: (e: unknown) => void }> = [];
  #busy = false;
  records: number;

  constructor(dir: string, records: number) {
    this.path = join(dir, SEND_JOURNAL);
    this.#fd = openSync(this.path, 'a', 0o600);
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

  writeNow(line: string): void {
    writeSync(this.#fd, line);
    this.records += 1;
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting;
        this.#waiting = [];
        try {
          const buffer = Buffer.from(batch.map((b) => b.text).join(''), 'utf8');
          let offset = 0;
          while (offset < buffer.length) {
            offset += (await writeAsync(this.#fd, buffer, offset, buffer.length - offset)).bytesWritten;
          }
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

  /** Replaces the file with `text` (the live records), when no append is in progress. */
  compact(text: string, count: number): boolean {
    if (this.#busy || this.#waiting.length > 0) return false;
    const temp = `${this.path}.compact`;
    writeFileSync(temp, text, { mode: 0o600 });
    const fd = openSync(temp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    closeSync(this.#fd);
    this.#fd = openSync(this.path, 'a', 0o600);
    this.records = count;
    return true;
  }

  /** Waits for queued appends, fsyncs what `writeNow` wrote, closes. */
  async close(): Promise<void> {
    while (this.#busy || this.#waiting.length > 0) await new Promise((r) => setTimeout(r, 2));
    try {
      fdatasyncSync(this.#fd);
    } catch {
      // Closing anyway.
    }
    closeSync(this.#fd);
  }
}
