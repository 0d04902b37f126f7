/**
 * Reading the journal at start, fast enough for a million pending events: the file is read in
 * large chunks and an `add` record's payload is not parsed (only its short header: id, key,
 * time, contact), since the payload stays on disk and is read when delivered.
 *
 * Unreadable records (a line such as `null`, a torn line, two records glued by a failed write)
 * are reported as byte ranges, so the outbox can move them to a side file and start.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { JOURNAL_FILE, type JournalRecord } from './journal.js';

/** An `add` record seen by the scan: where its line is, and its header. */
export interface AddHeader {
  id: string;
  key: string;
  at: number;
  contactId: string;
  offset: number;
  length: number;
}

export interface ScanVisitor {
  add(header: AddHeader): void;
  /** Any other record, parsed. */
  other(record: Exclude<JournalRecord, { op: 'add' }>): void;
}

export interface ScanResult {
  records: number;
  /** Byte ranges [start, end) of unreadable lines (each with its newline, when it has one). */
  bad: Array<[number, number]>;
  size: number;
}

const CHUNK = 8 << 20;
const NEWLINE = 0x0a;
const RECORD_START = Buffer.from('{"op":"');
const ADD_START = Buffer.from('{"op":"add",');
const ITEM = Buffer.from(',"item":');
const OPS = new Set(['done', 'dead', 'retry', 'purge', 'seen']);

function isRecord(value: unknown): value is Exclude<JournalRecord, { op: 'add' }> {
  const record = value as { op?: unknown; id?: unknown; keys?: unknown } | null;
  if (!record || typeof record !== 'object' || typeof record.op !== 'string' || !OPS.has(record.op)) return false;
  return record.op === 'seen' ? Array.isArray(record.keys) : typeof record.id === 'string';
}

/** The header of an add line, or undefined when the line is not one we can trust. */
function addHeader(line: Buffer, offset: number): AddHeader | undefined {
  // A second record start inside the line means a torn record was glued to the next one
  // (inside JSON strings a quote is escaped, so `{"op":"` cannot occur there).
  if (line.indexOf(RECORD_START, 1) !== -1 || line[line.length - 1] !== 0x7d) return undefined;
  const itemAt = line.indexOf(ITEM);
  if (itemAt === -1) return undefined;
  let head: { id?: unknown; key?: unknown; at?: unknown; c?: unknown };
  try {
    head = JSON.parse(`${line.toString('utf8', 0, itemAt)}}`);
  } catch {
    return undefined;
  }
  let contactId = head.c;
  if (typeof contactId !== 'string') {
    // Written by an older version (no "c"): read the payload once.
    try {
      contactId = (JSON.parse(line.toString('utf8')) as { item?: { contactId?: unknown } }).item?.contactId;
    } catch {
      return undefined;
    }
  }
  if (typeof head.id !== 'string' || typeof head.key !== 'string' || typeof head.at !== 'number') return undefined;
  if (typeof contactId !== 'string') return undefined;
  return { id: head.id, key: head.key, at: head.at, contactId, offset, length: line.length };
}

/** Reads every record of `dir`'s journal, oldest first. */
export function scanJournal(dir: string, visitor: ScanVisitor): ScanResult {
  const path = join(dir, JOURNAL_FILE);
  const result: ScanResult = { records: 0, bad: [], size: 0 };
  if (!existsSync(path)) return result;
  const fd = openSync(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(CHUNK);
    let filled = 0;
    let base = 0;
    for (;;) {
      if (filled === buffer.length) {
        // One line longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, filled, buffer.length - filled, base + filled);
      const end = filled + n;
      let start = 0;
      for (;;) {
        const newline = buffer.indexOf(NEWLINE, start);
        if (newline === -1 || newline >= end) break;
        if (newline > start) visit(buffer.subarray(start, newline), base + start, visitor, result);
        start = newline + 1;
      }
      if (n === 0) {
        // A last line without its newline: the process died mid-write, before anyone was answered.
        if (end > start) result.bad.push([base + start, base + end]);
        result.size = base + end;
        return result;
      }
      buffer.copyWithin(0, start, end);
      filled = end - start;
      base += start;
    }
  } finally {
    closeSync(fd);
  }
}

function visit(line: Buffer, offset: number, visitor: ScanVisitor, result: ScanResult): void {
  if (line.subarray(0, ADD_START.length).equals(ADD_START)) {
    const header = addHeader(line, offset);
    if (!header) {
      result.bad.push([offset, offset + line.length + 1]);
      return;
    }
    result.records += 1;
    visitor.add(header);
    return;
  }
  let record: unknown;
  try {
    record = JSON.parse(line.toString('utf8'));
  } catch {
    record = undefined;
  }
  if (!isRecord(record)) {
    result.bad.push([offset, offset + line.length + 1]);
    return;
  }
  result.records += 1;
  visitor.other(record);
}
