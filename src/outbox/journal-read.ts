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

const CHUNK = 2 << 20;
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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The JSON string starting at `start` (just after its opening quote): [value, index after the closing quote]. */
function stringAt(line: Buffer, start: number): [string, number] | undefined {
  let end = line.indexOf(QUOTE, start);
  let escaped = false;
  while (end !== -1 && line[end - 1] === BACKSLASH) {
    // Count the backslashes: an even run escapes nothing.
    let run = 0;
    for (let i = end - 1; i >= start && line[i] === BACKSLASH; i -= 1) run += 1;
    escaped = true;
    if (run % 2 === 0) break;
    end = line.indexOf(QUOTE, end + 1);
  }
  if (end === -1) return undefined;
  if (!escaped) {
    const slash = line.indexOf(BACKSLASH, start);
    escaped = slash !== -1 && slash < end;
  }
  if (!escaped) return [line.toString('utf8', start, end), end + 1];
  try {
    return [JSON.parse(line.toString('utf8', start - 1, end + 1)) as string, end + 1];
  } catch {
    return undefined;
  }
}

/** Expects `literal` at `at`; returns the index after it. */
function expect(line: Buffer, at: number, literal: Buffer): number {
  if (at + literal.length > line.length) return -1;
  for (let i = 0; i < literal.length; i += 1) if (line[at + i] !== literal[i]) return -1;
  return at + literal.length;
}

const ID_AT = Buffer.from('{"op":"add","id":"');
const KEY_AT = Buffer.from(',"key":"');
const AT_AT = Buffer.from(',"at":');
const C_AT = Buffer.from(',"c":"');

/**
 * The header of an add line as this version writes it (`{"op":"add","id":..,"key":..,"at":..,"c":..,"item":..}`),
 * read without parsing the payload; older or unusual lines go through JSON.parse.
 */
function fastHeader(line: Buffer, offset: number): AddHeader | undefined {
  const id = stringAt(line, ID_AT.length);
  if (!id) return undefined;
  let at = expect(line, id[1], KEY_AT);
  const key = at === -1 ? undefined : stringAt(line, at);
  if (!key) return undefined;
  at = expect(line, key[1], AT_AT);
  if (at === -1) return undefined;
  const comma = line.indexOf(0x2c, at);
  const time = Number(line.toString('latin1', at, comma));
  at = comma === -1 ? -1 : expect(line, comma, C_AT);
  const contact = at === -1 ? undefined : stringAt(line, at);
  if (!contact || !Number.isFinite(time) || expect(line, contact[1], ITEM) === -1) return undefined;
  return { id: id[0], key: key[0], at: time, contactId: contact[0], offset, length: line.length };
}

/** The header of an add line, or undefined when the line is not one we can trust. */
function addHeader(line: Buffer, offset: number): AddHeader | undefined {
  // A second record start inside the line means a torn record was glued to the next one
  // (inside JSON strings a quote is escaped, so `{"op":"` cannot occur there).
  if (line.indexOf(RECORD_START, 1) !== -1 || line[line.length - 1] !== 0x7d) return undefined;
  const fast = fastHeader(line, offset);
  if (fast) return fast;
  let record: { id?: unknown; key?: unknown; at?: unknown; c?: unknown; item?: { contactId?: unknown } };
  try {
    record = JSON.parse(line.toString('utf8'));
  } catch {
    return undefined;
  }
  const contactId = typeof record.c === 'string' ? record.c : record.item?.contactId;
  if (typeof record.id !== 'string' || typeof record.key !== 'string' || typeof record.at !== 'number')
    return undefined;
  if (typeof contactId !== 'string' || typeof record.item !== 'object') return undefined;
  return { id: record.id, key: record.key, at: record.at, contactId, offset, length: line.length };
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
  if (expect(line, 0, ADD_START) !== -1) {
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
