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

/** Where the last `stringAt` ended (index after the closing quote): no tuple per string. */
let stringEnd = 0;

/**
 * The JSON string starting at `start` (just after its opening quote) of the line ending at
 * `limit`; `stringEnd` is set to the index after its closing quote.
 */
function stringAt(line: Buffer, start: number, limit: number): string | undefined {
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
  if (end === -1 || end >= limit) return undefined;
  stringEnd = end + 1;
  // A short string: look for a backslash by hand (indexOf would search the whole chunk past it),
  // and for bytes past ASCII: ids, keys and contacts nearly always are ASCII, which latin1
  // decodes without utf8's checks.
  let ascii = true;
  for (let i = start; i < end && !escaped; i += 1) {
    const byte = line[i];
    escaped = byte === BACKSLASH;
    if (byte >= 0x80) ascii = false;
  }
  if (!escaped) return line.toString(ascii ? 'latin1' : 'utf8', start, end);
  try {
    return JSON.parse(line.toString('utf8', start - 1, end + 1)) as string;
  } catch {
    return undefined;
  }
}

/** Expects `literal` at `at` (before `limit`); returns the index after it. */
function expect(line: Buffer, at: number, literal: Buffer, limit = line.length): number {
  if (at + literal.length > limit) return -1;
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
function fastHeader(buffer: Buffer, start: number, end: number, offset: number): AddHeader | undefined {
  const id = stringAt(buffer, start + ID_AT.length, end);
  if (id === undefined) return undefined;
  let at = expect(buffer, stringEnd, KEY_AT, end);
  const key = at === -1 ? undefined : stringAt(buffer, at, end);
  if (key === undefined) return undefined;
  at = expect(buffer, stringEnd, AT_AT, end);
  if (at === -1) return undefined;
  // The time: plain digits as this version writes them (anything else: the slow path).
  let time = 0;
  let digits = 0;
  for (; at < end && buffer[at] >= 0x30 && buffer[at] <= 0x39; at += 1, digits += 1)
    time = time * 10 + buffer[at] - 0x30;
  if (digits === 0 || digits > 15) return undefined;
  at = expect(buffer, at, C_AT, end);
  const contact = at === -1 ? undefined : stringAt(buffer, at, end);
  if (contact === undefined || expect(buffer, stringEnd, ITEM, end) === -1) return undefined;
  return { id, key, at: time, contactId: contact, offset, length: end - start };
}

/** The header of an add line, or undefined when the line is not one we can trust. */
function addHeader(buffer: Buffer, start: number, end: number, offset: number): AddHeader | undefined {
  // A second record start inside the line means a torn record was glued to the next one
  // (inside JSON strings a quote is escaped, so `{"op":"` cannot occur there).
  const glued = buffer.indexOf(RECORD_START, start + 1);
  if ((glued !== -1 && glued < end) || buffer[end - 1] !== 0x7d) return undefined;
  const fast = fastHeader(buffer, start, end, offset);
  if (fast) return fast;
  const line = buffer.subarray(start, end);
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
        if (newline > start) visit(buffer, start, newline, base + start, visitor, result);
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

/** The line `buffer[start, end)` (without its newline), at `offset` in the file. */
function visit(
  buffer: Buffer,
  start: number,
  end: number,
  offset: number,
  visitor: ScanVisitor,
  result: ScanResult,
): void {
  if (expect(buffer, start, ADD_START, end) !== -1) {
    const header = addHeader(buffer, start, end, offset);
    if (!header) {
      result.bad.push([offset, offset + end - start + 1]);
      return;
    }
    result.records += 1;
    visitor.add(header);
    return;
  }
  const line = buffer.subarray(start, end);
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
