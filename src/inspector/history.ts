/**
 * The inspector's history: entries in memory, bounded, and appended to an NDJSON file so a
 * restart keeps the conversations. The file is compacted (rewritten with the newest
 * `maxHistory` entries) once it holds twice that many lines.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { writePrivateFile } from '../secrets.js';
import type { Entry } from './types.js';

export type NewEntry = Entry extends infer E ? (E extends Entry ? Omit<E, 'seq'> : never) : never;
type Listener = (entry: Entry) => void;

export interface HistoryOptions {
  /** NDJSON file; omitted: memory only. */
  file?: string;
  /** Entries kept (default 1000). */
  max?: number;
}

export class History {
  readonly max: number;
  readonly file?: string;
  #entries: Entry[] = [];
  #nextSeq = 1;
  #fileLines = 0;
  #writing: Promise<void> = Promise.resolve();
  #listeners = new Set<Listener>();

  private constructor(options: HistoryOptions) {
    this.max = Math.max(1, options.max ?? 1000);
    this.file = options.file;
  }

  /** Loads the file when there is one; a torn or foreign line is skipped, not fatal. */
  static async open(options: HistoryOptions = {}): Promise<History> {
    const history = new History(options);
    if (!options.file) return history;
    let content = '';
    try {
      content = await readFile(options.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const lines = content.split('\n').filter((line) => line.trim() !== '');
    let torn = content !== '' && !content.endsWith('\n');
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as Entry;
        if (typeof entry?.seq === 'number' && typeof entry.kind === 'string') history.#entries.push(entry);
      } catch {
        // A line torn by a crash mid-write.
        torn = true;
      }
    }
    history.#entries.sort((a, b) => a.seq - b.seq);
    history.#entries = history.#entries.slice(-history.max);
    history.#nextSeq = (history.#entries.at(-1)?.seq ?? 0) + 1;
    // A torn file is rewritten on the next append rather than appended to.
    history.#fileLines = torn ? 0 : lines.length;
    return history;
  }

  /** Entries with `seq` greater than `since`, oldest first. */
  list(since = 0): Entry[] {
    return this.#entries.filter((entry) => entry.seq > since);
  }

  get(seq: number): Entry | undefined {
    return this.#entries.find((entry) => entry.seq === seq);
  }

  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** Stamps the next `seq`, keeps the entry, writes it out and tells the listeners. */
  append(entry: NewEntry): Entry {
    const stamped = { ...entry, seq: this.#nextSeq++ } as Entry;
    this.#entries.push(stamped);
    if (this.#entries.length > this.max) this.#entries.splice(0, this.#entries.length - this.max);
    if (this.file) this.#persist(stamped);
    for (const listener of this.#listeners) {
      try {
        listener(stamped);
      } catch {
        // One broken stream must not stop the others.
      }
    }
    return stamped;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once every entry appended so far is on disk. */
  flush(): Promise<void> {
    return this.#writing;
  }

  #persist(entry: Entry): void {
    const file = this.file as string;
    this.#writing = this.#writing
      .then(async () => {
        if (this.#fileLines === 0 || this.#fileLines + 1 > this.max * 2) {
          const kept = this.#entries.filter((e) => e.seq <= entry.seq);
          await writePrivateFile(file, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
          this.#fileLines = kept.length;
        } else {
          await appendFile(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
          this.#fileLines += 1;
        }
      })
      .catch(() => {
        // History on disk is a convenience; the live view keeps working without it.
      });
  }
}
