/** The send queue's records and how a journal replays into memory. */
import type { SendInput } from '../bridge/adapter.js';
import type { QueuedSend } from './types.js';

export type SendRecord =
  | { op: 'add'; id: string; seq: number; at: number; input: SendInput; attempts: number; err?: string; next: number }
  | { op: 'try'; id: string; attempts: number; err: string; next: number }
  /** The provider took it under its own id `pm`. */
  | { op: 'sent'; id: string; pm: string; at: number }
  | { op: 'dead'; id: string; at: number; reason: string }
  /** Written by compaction: a mapping kept for later status callbacks. */
  | { op: 'map'; id: string; pm: string };

export const line = (record: SendRecord) => `${JSON.stringify(record)}\n`;

export const addRecord = (send: QueuedSend): SendRecord => ({
  op: 'add',
  id: send.id,
  seq: send.seq,
  at: send.receivedAt,
  input: send.input,
  attempts: send.attempts,
  ...(send.lastError ? { err: send.lastError } : {}),
  next: send.nextAt,
});

export interface ReplayedState {
  pending: Map<string, QueuedSend>;
  dead: Map<string, QueuedSend>;
  /** provider id -> bridge mId, oldest first. */
  map: Map<string, string>;
  maxSeq: number;
}

/** Rebuilds the queue's memory from journal records (unknown or malformed ones are skipped). */
export function replaySends(records: readonly unknown[], mapLimit: number): ReplayedState {
  const state: ReplayedState = { pending: new Map(), dead: new Map(), map: new Map(), maxSeq: 0 };
  const remember = (pm: string, id: string) => {
    state.map.delete(pm);
    state.map.set(pm, id);
    if (state.map.size > mapLimit) state.map.delete(state.map.keys().next().value as string);
  };
  for (const raw of records) {
    const r = raw as SendRecord;
    if (!r || typeof r !== 'object' || typeof r.id !== 'string') continue;
    if (r.op === 'add' && r.input && typeof r.input.contactId === 'string') {
      state.maxSeq = Math.max(state.maxSeq, Number(r.seq) || 0);
      state.pending.set(r.id, {
        id: r.id,
        seq: Number(r.seq) || 0,
        contactId: r.input.contactId,
        input: r.input,
        receivedAt: r.at,
        attempts: r.attempts ?? 0,
        ...(r.err ? { lastError: r.err } : {}),
        nextAt: r.next ?? r.at,
      });
    } else if (r.op === 'try') {
      const send = state.pending.get(r.id);
      if (send) Object.assign(send, { attempts: r.attempts, lastError: r.err, nextAt: r.next });
    } else if (r.op === 'sent' || r.op === 'map') {
      state.pending.delete(r.id);
      if (typeof r.pm === 'string') remember(r.pm, r.id);
    } else if (r.op === 'dead') {
      const send = state.pending.get(r.id);
      if (!send) continue;
      state.pending.delete(r.id);
      state.dead.set(r.id, { ...send, reason: r.reason, deadAt: r.at });
    }
  }
  return state;
}
