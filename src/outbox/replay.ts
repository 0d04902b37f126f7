/**
 * Rebuilding the outbox's index from its journal at start. Unreadable records are moved to a
 * side file (journal.quarantine.ndjson) and cut from the journal, with one warning naming the
 * count, so one bad line never stops the bridge (or `outbox list`, which only skips them).
 */
import { appendFileSync, closeSync, fsyncSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { JOURNAL_FILE, QUARANTINE_FILE, syncDir } from './journal.js';
import { scanJournal } from './journal-read.js';
import { OutboxState } from './state.js';

export interface Replayed {
  state: OutboxState;
  records: number;
  /** Unreadable records found (moved aside unless read-only). */
  quarantined: number;
}

function replayOnce(dir: string, dedupeWindow: number) {
  const state = new OutboxState(dedupeWindow);
  const scan = scanJournal(dir, {
    add: (header) => state.replayAdd(header),
    other: (record) => state.replayOther(record),
  });
  return { state, scan };
}

/** Copies `path` without the byte ranges `bad` (sorted) over itself, atomically. */
function cutRanges(dir: string, bad: Array<[number, number]>, size: number): void {
  const path = join(dir, JOURNAL_FILE);
  const temp = `${path}.repair`;
  const source = openSync(path, 'r');
  const target = openSync(temp, 'w', 0o600);
  const quarantine: Buffer[] = [];
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let at = 0;
    let out = 0;
    const copy = (from: number, to: number, sink: (data: Buffer) => void) => {
      for (let position = from; position < to; ) {
        const n = readSync(source, buffer, 0, Math.min(buffer.length, to - position), position);
        if (n === 0) break;
        sink(buffer.subarray(0, n));
        position += n;
      }
    };
    const keep = (data: Buffer) => {
      let done = 0;
      while (done < data.length) done += writeSync(target, data, done, data.length - done, out + done);
      out += data.length;
    };
    for (const [start, end] of bad) {
      copy(at, start, keep);
      const before = quarantine.length;
      copy(start, Math.min(end, size), (data) => quarantine.push(Buffer.from(data)));
      // Each quarantined record on its own line, even a torn last one.
      const last = quarantine[quarantine.length - 1];
      if (quarantine.length > before && last[last.length - 1] !== 0x0a) quarantine.push(Buffer.from('\n'));
      at = Math.min(end, size);
    }
    copy(at, size, keep);
    fsyncSync(target);
  } finally {
    closeSync(source);
    closeSync(target);
  }
  appendFileSync(join(dir, QUARANTINE_FILE), Buffer.concat(quarantine), { mode: 0o600 });
  renameSync(temp, path);
  syncDir(dir);
}

/**
 * Reads `dir`'s journal into an index. With `repair`, unreadable records are quarantined and
 * `warn` is told how many; read-only, they are skipped (and counted).
 */
export function replayJournal(
  dir: string,
  options: { dedupeWindow: number; repair: boolean; warn: (message: string) => void },
): Replayed {
  let { state, scan } = replayOnce(dir, options.dedupeWindow);
  const quarantined = scan.bad.length;
  if (quarantined > 0 && options.repair) {
    cutRanges(dir, scan.bad, scan.size);
    options.warn(
      `outbox journal: ${quarantined} unreadable record${quarantined === 1 ? '' : 's'} moved to ${join(dir, QUARANTINE_FILE)}`,
    );
    ({ state, scan } = replayOnce(dir, options.dedupeWindow));
  }
  state.buildQueues();
  return { state, records: scan.records, quarantined };
}
