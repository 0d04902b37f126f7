/**
 * Journal compaction without stalling intake: the live records (seen keys, pending and dead
 * entries) are copied into a new file in slices, yielding to the event loop between them,
 * while appends go on to the old file; then the journal swaps the new file in between two
 * group commits, copying over the old file's tail (records written during the copy) verbatim.
 */
import { closeSync, fdatasync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Journal } from './journal.js';
import { JOURNAL_FILE } from './journal.js';
import type { OutboxState, StoredEntry } from './state.js';

const SLICE = 2000;
const FLUSH_BYTES = 1 << 20;

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Rewrites `journal` to the live content of `state`. */
export async function compactJournal(journal: Journal, state: OutboxState): Promise<void> {
  journal.flush();
  const copiedUpTo = journal.size;
  const recordsAtCopy = journal.records;
  // Pending (in queue order), being written, then dead: replay rebuilds the same queues.
  // Replayed rows stay rows (numbers, see state.ts): they are copied and moved as they are.
  const queued = [...state.pendingInQueueOrder()];
  const pending = queued.length === state.pending.size ? queued : [...state.pending.rawValues()];
  const live: Array<StoredEntry | number> = [...pending, ...state.staged.values(), ...state.dead.values()];
  const newOffsets = new Float64Array(live.length);
  const temp = join(journal.dir, `${JOURNAL_FILE}.compact`);
  const fd = openSync(temp, 'w', 0o600);
  let size = 0;
  let flushedTo = 0;
  let records = 0;
  let chunks: Buffer[] = [];
  let chunkBytes = 0;
  const put = (data: Buffer) => {
    chunks.push(data);
    chunkBytes += data.length;
    if (chunkBytes >= FLUSH_BYTES) flush();
  };
  const flush = () => {
    const data = Buffer.concat(chunks);
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, flushedTo + done);
    flushedTo += data.length;
    chunks = [];
    chunkBytes = 0;
  };
  const line = (text: string) => {
    const data = Buffer.from(`${text}\n`);
    size += data.length;
    records += 1;
    put(data);
  };
  try {
    const keys = [...state.seen.keys()];
    for (let i = 0; i < keys.length; i += 1000) line(JSON.stringify({ op: 'seen', keys: keys.slice(i, i + 1000) }));
    for (let i = 0; i < live.length; i += 1) {
      const entry = live[i];
      const data = journal.read(state.offsetOf(entry), state.lengthOf(entry));
      newOffsets[i] = size;
      size += data.length + 1;
      records += 1;
      put(data);
      put(NEWLINE);
      if (typeof entry !== 'number' && entry.deadAt !== undefined) {
        line(
          JSON.stringify({
            op: 'dead',
            id: entry.id,
            at: entry.deadAt,
            reason: entry.reason,
            attempts: entry.attempts,
          }),
        );
      }
      if (i % SLICE === SLICE - 1) await tick();
    }
    flush();
    await new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  await journal.swap({
    temp,
    fd,
    size,
    copiedUpTo,
    records,
    recordsAtCopy,
    relocate(tailBase) {
      // Entries written during the copy sit in the tail; then the copied ones get their new places.
      // (Rows are never in the tail: only the replay makes them.)
      const shift = tailBase - copiedUpTo;
      for (const map of [state.pending.rawValues(), state.staged.values(), state.dead.values()]) {
        for (const entry of map) if (typeof entry !== 'number' && entry.off >= copiedUpTo) entry.off += shift;
      }
      for (let i = 0; i < live.length; i += 1) state.moveLine(live[i], newOffsets[i]);
    },
  });
}

const NEWLINE = Buffer.from('\n');
