/** An outbox entry read back from its journal record (memory holds only the record's place). */
import type { BridgeEvent } from '../bridge/adapter.js';
import type { Journal } from './journal.js';
import type { StoredEntry } from './state.js';
import { dedupeKey, type OutboxEntry } from './types.js';

/**
 * Reads `stored`'s `add` record at its offset; throws when the record there is not its own
 * (a damaged journal), so the caller can dead-letter it.
 * @example const entry = readEntry(journal, stored); deliver([entry])
 */
export function readEntry(journal: Journal, stored: StoredEntry): OutboxEntry {
  const record = JSON.parse(journal.read(stored.off, stored.len).toString('utf8')) as {
    op?: string;
    id?: string;
    key?: string;
    item?: BridgeEvent;
  };
  if (record?.op !== 'add' || record.id !== stored.id || !record.item?.event) {
    throw new Error(`journal record of ${stored.id} is unreadable`);
  }
  const entry: OutboxEntry = {
    id: stored.id,
    key: record.key ?? dedupeKey(record.item.event),
    enqueuedAt: stored.at,
    item: record.item,
    attempts: stored.attempts,
  };
  if (stored.lastError !== undefined) entry.lastError = stored.lastError;
  if (stored.reason !== undefined) entry.reason = stored.reason;
  if (stored.deadAt !== undefined) entry.deadAt = stored.deadAt;
  return entry;
}
